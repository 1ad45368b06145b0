// Comunica (npm @comunica/query-sparql) as a real SPARQL client of kg serve: node comunica_query.cjs ENDPOINT QUERY
// prints SPARQL JSON results for a SELECT, N-Triples for a CONSTRUCT.
const { QueryEngine } = require("@comunica/query-sparql");

(async () => {
  const [endpoint, query] = process.argv.slice(2);
  const engine = new QueryEngine();
  const result = await engine.query(query, { sources: [{ type: "sparql", value: endpoint }] });
  const media = result.resultType === "quads" ? "application/n-triples" : "application/sparql-results+json";
  const { data } = await engine.resultToString(result, media);
  let out = "";
  for await (const chunk of data) out += chunk;
  process.stdout.write(out);
})().catch((e) => { console.error(String(e)); process.exit(1); });
