// Vite bundles imported CSS into the build; TypeScript only needs to know the import is allowed.
declare module "*.css";
