package io.sage.studio.finetune.api;

import java.io.IOException;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import io.sage.studio.common.error.ApiException;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.dataset.SageDocs;
import io.sage.studio.finetune.domain.Dataset;

/** Datasets: upload (validated while streamed from the uploaded temp file) and the bundled-docs set. */
@Path("/api/finetune")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetResource {

    private final DatasetService datasets;
    private final SageDocs docs;

    public DatasetResource(DatasetService datasets, SageDocs docs) {
        this.datasets = datasets;
        this.docs = docs;
    }

    @POST
    @Path("/upload-dataset")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    public Dataset upload(@RestForm("file") FileUpload file) throws IOException {
        if (file == null || file.uploadedFile() == null) {
            throw ApiException.badRequest("missing_file", "send the dataset as the multipart form field 'file'");
        }
        return datasets.upload(file.fileName(), file.uploadedFile());
    }

    @POST
    @Path("/prepare-sage-docs")
    public SageDocs.Prepared prepareSageDocs() throws IOException {
        return docs.prepare();
    }
}
