// The edge's pages and scripts (agents/edge/web), built for browsers and put into the agent's
// one file by resources/build.mjs (resources/edge-web.mjs makes this module).
declare module 'bulwark:edge-web' {
  const assets: Record<string, { contentType: string; body: string }>;
  export default assets;
}
