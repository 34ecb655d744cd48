package io.sage.studio.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/** The image names and tags have one source: the root pom's Jib properties; the chart's defaults must match. */
class ImagesTest {

    static final Path ROOT_POM = Path.of("..", "pom.xml");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void chartDefaultsMatchTheRootPomsContainerImageProperties() throws Exception {
        Map<String, String> props = rootPomProperties();
        JsonNode values =
                YAML.readTree(HelmChartTest.CHART.resolve("values.yaml").toFile());
        JsonNode chart = YAML.readTree(HelmChartTest.CHART.resolve("Chart.yaml").toFile());

        assertThat(values.at("/image/registry").asText()).isEqualTo(props.get("quarkus.container-image.registry"));
        assertThat(values.at("/image/group").asText()).isEqualTo(props.get("quarkus.container-image.group"));
        assertThat(values.at("/image/tag").asText())
                .as("empty: the chart's appVersion")
                .isEmpty();
        assertThat(chart.at("/appVersion").asText()).isEqualTo(props.get("quarkus.container-image.tag"));
        for (String component : new String[] {"finetune", "chatSwitch", "gateway", "gpuProbe"}) {
            assertThat(values.at("/" + component + "/image/tag").asText())
                    .as(component)
                    .isEmpty();
        }
    }

    @Test
    void baseImagesArePinned() throws Exception {
        Map<String, String> props = rootPomProperties();
        assertThat(props.get("quarkus.jib.base-jvm-image")).matches(".+/ubi9/openjdk-\\d+-runtime:\\d+\\.\\d+");
        assertThat(props.get("quarkus.jib.base-native-image")).matches(".+:\\d+\\.\\d+");
    }

    static Map<String, String> rootPomProperties() throws Exception {
        Element root = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(ROOT_POM.toFile())
                .getDocumentElement();
        Map<String, String> props = new HashMap<>();
        NodeList blocks = root.getElementsByTagName("properties");
        for (int b = 0; b < blocks.getLength(); b++) {
            Node block = blocks.item(b);
            if (block.getParentNode() != root) {
                continue;
            }
            NodeList children = block.getChildNodes();
            for (int i = 0; i < children.getLength(); i++) {
                if (children.item(i) instanceof Element property) {
                    props.put(property.getTagName(), property.getTextContent().strip());
                }
            }
        }
        return props;
    }
}
