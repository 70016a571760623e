import { useState } from "preact/hooks";

/** CopyButton copies text to the clipboard and says so. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"" | "copied" | "failed">("");
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  }
  return (
    <>
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span role="status" class="copy-status">
        {state === "copied" ? "Copied." : state === "failed" ? "Copy failed: select the text and copy it yourself." : ""}
      </span>
    </>
  );
}
