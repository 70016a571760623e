import type { ComponentChildren } from "preact";
import { linkClick } from "../router";

interface Props {
  href: string;
  class?: string;
  children: ComponentChildren;
  "aria-current"?: "page" | undefined;
}

/** Link is an ordinary anchor that navigates inside the app. */
export function Link(props: Props) {
  return (
    <a href={props.href} class={props.class} aria-current={props["aria-current"]} onClick={linkClick}>
      {props.children}
    </a>
  );
}
