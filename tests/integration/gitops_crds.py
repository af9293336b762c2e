"""Argo CD's and Flux's CustomResourceDefinitions for the integration tests (docs/TESTING.md,
"Custom resources, events, Argo CD"): minimal but valid, serving the real group, kind, plural
and versions with a status subresource, so that tests set statuses as the controllers would."""

from __future__ import annotations

import datetime

from conftest import api_request, create_object, patch_status, wait_for

CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def crd(group: str, kind: str, plural: str, versions: list[str]) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group, "scope": "Namespaced",
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
            "versions": [{"name": v, "served": True, "storage": i == 0, "subresources": {"status": {}},
                          "schema": {"openAPIV3Schema": {"type": "object",
                                                         "x-kubernetes-preserve-unknown-fields": True}}}
                         for i, v in enumerate(versions)],
        },
    }


# Argo CD 2.x/3.x; Flux 2.3+ (Kustomization v1 with v1beta2 still served, HelmRelease v2).
ARGOCD_APPLICATIONS = crd("argoproj.io", "Application", "applications", ["v1alpha1"])
FLUX_KUSTOMIZATIONS = crd("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations", ["v1", "v1beta2"])
FLUX_HELMRELEASES = crd("helm.toolkit.fluxcd.io", "HelmRelease", "helmreleases", ["v2"])
ALL = (ARGOCD_APPLICATIONS, FLUX_KUSTOMIZATIONS, FLUX_HELMRELEASES)


def install(api, definition: dict) -> None:
    """Creates the CRD (unless present) and waits until its first version is served."""
    name = definition["metadata"]["name"]
    if api_request(api, "GET", f"{CRD_PATH}/{name}").status == 404:
        create_object(api, CRD_PATH, definition)
    group = definition["spec"]["group"]
    version = definition["spec"]["versions"][0]["name"]
    plural = definition["spec"]["names"]["plural"]
    wait_for(lambda: (api.request("GET", f"/apis/{group}/{version}/{plural}").status == 200, None), 30,
             f"{name} served")


def uninstall(api, definition: dict) -> None:
    """Deletes the CRD (and so every object of it) and waits until its group is no longer served."""
    name = definition["metadata"]["name"]
    api_request(api, "DELETE", f"{CRD_PATH}/{name}")
    wait_for(lambda: ((r := api_request(api, "GET", f"{CRD_PATH}/{name}")).status == 404, r.status), 60,
             f"CRD {name} gone")
    group = definition["spec"]["group"]
    wait_for(lambda: ((r := api.request("GET", f"/apis/{group}")).status == 404, r.status), 30,
             f"{group} no longer served")


def uninstall_all(api) -> None:
    for d in ALL:
        uninstall(api, d)


# --- objects, with statuses as the controllers write them -------------------------------------


def ago(minutes: int) -> str:
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def argo_app(api, ns: str, name: str, health: str, sync: str, phase: str | None = None) -> str:
    collection = f"/apis/argoproj.io/v1alpha1/namespaces/{ns}/applications"
    create_object(api, collection, {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": name},
        "spec": {"project": "default", "destination": {"server": "https://kubernetes.default.svc", "namespace": ns},
                 "source": {"repoURL": "https://example.com/repo.git", "path": name, "targetRevision": "HEAD"}}})
    path = f"{collection}/{name}"
    set_argo(api, path, health, sync, phase)
    return path


def set_argo(api, path: str, health: str, sync: str, phase: str | None = None) -> None:
    """As Argo CD's application controller writes it."""
    status = {"health": {"status": health}, "sync": {"status": sync, "revision": "0123abc"},
              "reconciledAt": ago(0)}
    if phase:
        status["operationState"] = {"phase": phase, "message": "one or more objects failed to apply",
                                    "startedAt": ago(1), "finishedAt": ago(0)}
    patch_status(api, path, status)


def flux_object(api, ns: str, group_version: str, plural: str, kind: str, name: str) -> str:
    collection = f"/apis/{group_version}/namespaces/{ns}/{plural}"
    create_object(api, collection, {"apiVersion": group_version, "kind": kind, "metadata": {"name": name},
                                    "spec": {"interval": "5m"}})
    return f"{collection}/{name}"


def set_ready(api, path: str, status: str, reason: str, since_minutes: int = 0,
              applied: str = "main@sha1:abc", attempted: str = "main@sha1:abc") -> None:
    """As Flux's controllers write it: the Ready condition, observedGeneration, revisions."""
    patch_status(api, path, {
        "observedGeneration": 1, "lastAppliedRevision": applied, "lastAttemptedRevision": attempted,
        "conditions": [{"type": "Ready", "status": status, "reason": reason, "message": reason,
                        "observedGeneration": 1, "lastTransitionTime": ago(since_minutes)}]})
