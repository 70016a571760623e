// Who is signed in, and what they may see.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Me } from "./api/types";

export interface AuthState {
  me: Me;
  /** refresh reloads /me (after a change to the caller's own account). */
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

export const AuthContext = createContext<AuthState | null>(null);

/** useAuth returns the signed-in caller; only pages behind sign-in use it. */
export function useAuth(): AuthState {
  const a = useContext(AuthContext);
  if (!a) throw new Error("useAuth outside a signed-in page");
  return a;
}

/** isPlatformAdmin: may manage everything. */
export function isPlatformAdmin(me: Me): boolean {
  return me.user.platform_admin;
}

/** isAdmin: may open the admin pages (platform admin or any org admin). */
export function isAdmin(me: Me): boolean {
  return me.user.platform_admin || me.orgs.some((o) => o.role === "org_admin");
}
