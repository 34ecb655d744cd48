package io.sage.studio.common.auth.tables;

import static io.sage.studio.common.auth.AccessRule.post;

import java.util.List;

import io.sage.studio.common.auth.AccessPolicy.Access;
import io.sage.studio.common.auth.ServiceAccess;

/** The gpu-probe-service: the memory estimate is a computation that changes nothing, so a viewer may post it. */
public final class GpuProbeAccess {

    public static final ServiceAccess TABLE = new ServiceAccess(
            "gpu-probe-service",
            List.of("/api/system/**"),
            List.of(post("/api/system/memory-estimate", Access.VIEWER)));

    private GpuProbeAccess() {}
}
