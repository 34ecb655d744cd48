package io.sage.studio.common.nativeimage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.sage.studio.events.StudioEvent;
import io.sage.studio.events.TaskEvent;

class EventReflectionTest {

    /** Every event record of studio-events, the records inside them, and the Kafka (de)serializers. */
    @Test
    void everyEventTypeOfStudioEventsIsRegisteredForReflection() throws Exception {
        Set<Class<?>> needed = new HashSet<>();
        for (Class<?> type : eventClasses()) {
            if (StudioEvent.class.isAssignableFrom(type) && type.isRecord()) {
                addWithNested(type, needed);
            }
            if (!type.isInterface()
                    && (Serializer.class.isAssignableFrom(type) || Deserializer.class.isAssignableFrom(type))
                    && type.getTypeParameters().length == 0) {
                needed.add(type);
            }
        }
        Set<Class<?>> registered = Set.of(
                EventReflection.class.getAnnotation(RegisterForReflection.class).targets());

        assertThat(needed).as("found the event types").hasSizeGreaterThan(10);
        assertThat(registered).containsAll(needed);
    }

    private static void addWithNested(Class<?> record, Set<Class<?>> into) {
        if (!into.add(record)) {
            return;
        }
        for (var component : record.getRecordComponents()) {
            Class<?> type = component.getType();
            if (type.isRecord() && type.getPackageName().equals(TaskEvent.class.getPackageName())) {
                addWithNested(type, into);
            }
            if (component.getGenericType() instanceof java.lang.reflect.ParameterizedType generic) {
                for (var argument : generic.getActualTypeArguments()) {
                    if (argument instanceof Class<?> c && c.isRecord()) {
                        addWithNested(c, into);
                    }
                }
            }
        }
    }

    /** The classes of studio-events' package, from its jar or classes folder. */
    private static List<Class<?>> eventClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path location = Path.of(TaskEvent.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        String pkg = TaskEvent.class.getPackageName().replace('.', '/');
        List<Class<?>> classes = new java.util.ArrayList<>();
        if (Files.isDirectory(location)) {
            collect(location, location.resolve(pkg), classes);
        } else {
            try (FileSystem jar = FileSystems.newFileSystem(location, Map.of())) {
                collect(jar.getPath("/"), jar.getPath("/" + pkg), classes);
            }
        }
        return classes;
    }

    private static void collect(Path root, Path dir, List<Class<?>> into) throws IOException, ClassNotFoundException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = root.relativize(file).toString().replace('/', '.');
                into.add(Class.forName(name.substring(0, name.length() - ".class".length())));
            }
        }
    }
}
