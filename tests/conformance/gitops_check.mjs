// Validates GitOps objects against their controllers' CRD schemas, with the
// models kubernetes-models generates from the upstream CRDs (Argo CD's
// ApplicationSet, Flux's GitRepository and HelmRelease): reads a JSON array
// of objects from the file named on the command line, prints `ok KIND NAME`
// or `FAIL KIND NAME: why` for each, and exits 1 when any fails (an object
// of a kind it has no model for fails too).
import { readFileSync } from "node:fs";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { HelmRelease } from "@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2";
import { GitRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1";

const models = {
  "argoproj.io/v1alpha1 ApplicationSet": ApplicationSet,
  "helm.toolkit.fluxcd.io/v2 HelmRelease": HelmRelease,
  "source.toolkit.fluxcd.io/v1 GitRepository": GitRepository,
};

let failed = 0;
for (const object of JSON.parse(readFileSync(process.argv[2], "utf8"))) {
  const kind = `${object.apiVersion} ${object.kind}`;
  const name = object.metadata?.name;
  const Model = models[kind];
  if (!Model) {
    failed += 1;
    console.log(`FAIL ${kind} ${name}: no schema for this kind`);
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok ${kind} ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${kind} ${name}: ${error.message}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
