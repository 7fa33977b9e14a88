// The explorer page for browsers (Apollo Sandbox for now). In development it sends the
// development API key, which is known only once the demo data is seeded, so the page is rendered
// on demand rather than at start.
import type { ApolloServerPlugin, BaseContext, GraphQLServerListener } from "@apollo/server";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";

export function explorerPlugin(developmentKey: () => string | null): ApolloServerPlugin {
  const pages = new Map<string, Promise<string>>();
  const render = (key: string | null): Promise<string> => {
    const cacheKey = key ?? "";
    let page = pages.get(cacheKey);
    if (!page) {
      const inner = ApolloServerPluginLandingPageLocalDefault({
        embed: key ? { initialState: { sharedHeaders: { Authorization: `Bearer ${key}` } } } : true,
      });
      page = (async () => {
        const listener = (await inner.serverWillStart!({} as never)) as GraphQLServerListener;
        const landing = await listener.renderLandingPage!();
        return typeof landing.html === "string" ? landing.html : landing.html();
      })();
      pages.set(cacheKey, page);
    }
    return page;
  };
  return {
    async serverWillStart() {
      return { async renderLandingPage() { return { html: () => render(developmentKey()) }; } };
    },
  } satisfies ApolloServerPlugin<BaseContext>;
}
