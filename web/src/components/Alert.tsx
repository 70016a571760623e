import type { ComponentChildren } from "preact";

interface Props {
  kind?: "error" | "info" | "success";
  children: ComponentChildren;
}

/**
 * Alert shows a message. Errors use role=alert so they are read out at
 * once; others are polite status messages.
 */
export function Alert({ kind = "error", children }: Props) {
  return (
    <div class={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}
