package io.sage.studio.finetune.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import io.sage.studio.common.auth.StudioPrincipal;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.dataset.SageDocs;
import io.sage.studio.finetune.domain.Dataset;

/**
 * Datasets: upload (a raw body validated while it arrives, or a multipart form validated while streamed from its temp
 * file), the bundled-docs set, list, delete.
 */
@Path("/api/finetune")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetResource {

    private final DatasetService datasets;
    private final SageDocs docs;
    private final StudioPrincipal caller;

    public DatasetResource(DatasetService datasets, SageDocs docs, StudioPrincipal caller) {
        this.datasets = datasets;
        this.docs = docs;
        this.caller = caller;
    }

    @POST
    @Path("/upload-dataset")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    public Dataset upload(@RestForm("file") FileUpload file) throws IOException {
        if (file == null || file.uploadedFile() == null) {
            throw new StudioException(
                    FinetuneError.MISSING_FILE, "send the dataset as the multipart form field 'file'");
        }
        return datasets.upload(file.fileName(), file.uploadedFile(), caller.name());
    }

    /**
     * The same upload with the file as the whole request body ({@code application/x-ndjson}, {@code application/jsonl}
     * or {@code application/octet-stream}; its name in {@code ?filename=}): validated and normalised while it arrives,
     * in one pass, without the multipart temp file. The CLI uses it; multipart stays for browsers' forms.
     */
    @POST
    @Path("/upload-dataset")
    @Consumes({"application/x-ndjson", "application/jsonl", MediaType.APPLICATION_OCTET_STREAM})
    public Dataset uploadRaw(@QueryParam("filename") @DefaultValue("dataset.jsonl") String filename, InputStream body) {
        return datasets.upload(filename, body, caller.name());
    }

    @POST
    @Path("/prepare-sage-docs")
    public SageDocs.Prepared prepareSageDocs(@QueryParam("force_refresh") @DefaultValue("false") boolean forceRefresh)
            throws IOException {
        return docs.prepare(caller.name(), forceRefresh);
    }

    /** Every stored dataset, newest first. */
    @GET
    @Path("/datasets")
    public List<Dataset> list() {
        return datasets.list();
    }

    @GET
    @Path("/datasets/{id}")
    public Dataset get(@PathParam("id") String id) {
        return datasets.get(id);
    }

    /** Deletes a dataset of the caller (an admin: any). Tasks made from it keep their own copy of the data. */
    @DELETE
    @Path("/datasets/{id}")
    @APIResponse(responseCode = "204", description = "deleted")
    public Response delete(@PathParam("id") String id) {
        caller.requireOwnerOrAdmin(datasets.get(id).owner(), "dataset " + id);
        datasets.delete(id);
        return Response.noContent().build();
    }
}
