// rdf-test-suite "engine" for the SPARQL 1.1 Protocol and Service Description manifests: those tests
// talk HTTP to the endpoint given with -i '{"protocolEndpoint": ..., "serviceDescriptionEndpoint": ...}',
// so the engine itself evaluates nothing.
"use strict";
module.exports = {
  parse: async () => { throw new Error("not a query engine: only endpoint tests are run"); },
  query: async () => { throw new Error("not a query engine: only endpoint tests are run"); },
};
