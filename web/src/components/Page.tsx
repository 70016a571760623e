import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

interface Props {
  title: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}

/**
 * Page titles the document and moves focus to its heading when it mounts,
 * so after a route change screen readers announce the new page and the
 * keyboard starts from its top rather than from a link that is gone.
 */
export function Page({ title, actions, children }: Props) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Atrium`;
    h1.current?.focus({ preventScroll: false });
  }, [title]);
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1} ref={h1}>
          {title}
        </h1>
        {actions && <div class="page-actions">{actions}</div>}
      </div>
      {children}
    </>
  );
}
