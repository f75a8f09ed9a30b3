/**
 * Module types for Vite's import suffixes used here (a subset of `vite/client`, declared locally
 * so the rest of the TypeScript project does not pick up browser-build globals).
 */
declare module '*?worker&url' {
  /** URL of the bundled worker or worklet module (emitted as its own file). */
  const url: string;
  export default url;
}
