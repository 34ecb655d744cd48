package io.sage.studio.common.auth.tables;

import static io.sage.studio.common.auth.AccessRule.delete;
import static io.sage.studio.common.auth.AccessRule.post;
import static io.sage.studio.common.auth.AccessRule.read;

import java.util.List;

import io.sage.studio.common.auth.AccessPolicy.Access;
import io.sage.studio.common.auth.ServiceAccess;

/**
 * The finetune-service's endpoints that a trainer may use: uploading data and starting, cloning, cancelling, pausing,
 * resuming, retrying, merging, evaluating or deleting (own) tasks. Reads need a viewer and every other change an admin (the shared
 * defaults). Ownership is finer than a path: the service lets a trainer cancel, pause, resume, retry, merge or delete
 * only its own tasks
 * ({@code StudioPrincipal.requireOwnerOrAdmin}); a clone is the caller's new task, of any task it can read.
 *
 * <p>The service also hosts the studio's outside hooks: webhooks ({@code /api/webhooks}: target URLs and their
 * deliveries) and the audit log ({@code /api/audit}: who changed what). Both are admin-only, reads included.
 */
public final class FinetuneAccess {

    public static final ServiceAccess TABLE = new ServiceAccess(
            "finetune-service",
            List.of("/api/finetune/**", "/api/webhooks/**", "/api/audit/**"),
            List.of(
                    post("/api/finetune/upload-dataset", Access.TRAINER),
                    post("/api/finetune/prepare-sage-docs", Access.TRAINER),
                    post("/api/finetune/create", Access.TRAINER),
                    post("/api/finetune/tasks/*/cancel", Access.TRAINER),
                    post("/api/finetune/tasks/*/merge", Access.TRAINER),
                    post("/api/finetune/tasks/*/retry", Access.TRAINER),
                    post("/api/finetune/tasks/*/pause", Access.TRAINER),
                    post("/api/finetune/tasks/*/resume", Access.TRAINER),
                    post("/api/finetune/tasks/*/clone", Access.TRAINER),
                    post("/api/finetune/tasks/*/evaluations", Access.TRAINER),
                    delete("/api/finetune/tasks/*", Access.TRAINER),
                    delete("/api/finetune/datasets/*", Access.TRAINER),
                    read("/api/webhooks/**", Access.ADMIN),
                    read("/api/audit/**", Access.ADMIN)));

    private FinetuneAccess() {}
}
