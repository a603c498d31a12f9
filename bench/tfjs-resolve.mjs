/**
 * A Node resolve hook for tfjs-core's ESM build (dist/*.js), written for bundlers: it imports
 * "./gradients/Add_grad" and "./ops/ops" without extensions. Needed only to load
 * dist/register_all_gradients.js, which the CommonJS build Node loads by default lacks; tfjs
 * keeps its engine and registries on globalThis, so the registrations reach the running engine.
 */
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (!specifier.startsWith(".") || !context.parentURL?.includes("/@tensorflow/tfjs-core/")) throw error;
    for (const suffix of [".js", "/index.js"]) {
      try {
        return await next(specifier + suffix, context);
      } catch {
        // try the next form
      }
    }
    throw error;
  }
}
