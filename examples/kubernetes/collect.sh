#!/bin/sh
# Copies every node's atlas file out of the bpf-atlas-index DaemonSet's pods and merges them:
#   sh examples/kubernetes/collect.sh [OUT_DIR]     → OUT_DIR/nodes/*.atlas and OUT_DIR/fleet.atlas
# Needs kubectl (current context) and bpf-atlas (or `node dist/cli.js`) on this machine.
set -eu
out=${1:-fleet-atlas}
ns=bpf-atlas
bpf_atlas=${BPF_ATLAS:-bpf-atlas}
mkdir -p "$out/nodes"
kubectl -n "$ns" rollout status daemonset/bpf-atlas-index --timeout=10m
for pod in $(kubectl -n "$ns" get pods -l app=bpf-atlas-index -o jsonpath='{.items[*].metadata.name}'); do
  node=$(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.spec.nodeName}')
  kubectl -n "$ns" cp -c hold "$pod:/atlas/$node.atlas" "$out/nodes/$node.atlas"
  echo "copied $node"
done
# --unique: nodes running the same kernel build are one kernel of the fleet file (the others are
# named in its provenance).
$bpf_atlas merge --unique "$out/nodes" -o "$out/fleet.atlas"
echo "use it: bpf-atlas check --kernel $out/fleet.atlas PROGRAMS, or name it in the editor setting bpfAtlas.atlasFiles"
