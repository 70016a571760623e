import { Link } from "../components/Link";
import { Page } from "../components/Page";

export function NotFoundPage() {
  return (
    <Page title="Page not found">
      <p>There is no page at this address.</p>
      <p>
        <Link href="/sessions">Go to your sessions</Link>
      </p>
    </Page>
  );
}

/** ForbiddenPage answers admin addresses for people who are not admins. */
export function ForbiddenPage() {
  return (
    <Page title="Not allowed">
      <p>This page is for administrators. Ask an administrator of your organisation if you need access.</p>
      <p>
        <Link href="/sessions">Go to your sessions</Link>
      </p>
    </Page>
  );
}
