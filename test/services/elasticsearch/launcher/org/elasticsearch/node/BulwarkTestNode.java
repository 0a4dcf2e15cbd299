package org.elasticsearch.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.PluginsService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * Bulwark test harness: one real Elasticsearch node in this JVM, the way Elasticsearch's own test framework starts
 * in-process nodes. Usage: BulwarkTestNode HOME HTTP_PORT CLUSTER_NAME. HOME gets config/, data/, logs/ and empty
 * modules/ and plugins/. Runs until SIGTERM, then closes the node (flushes, releases the data folder).
 */
public final class BulwarkTestNode {
    private BulwarkTestNode() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: BulwarkTestNode HOME HTTP_PORT CLUSTER_NAME");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        for (String dir : List.of("config", "data", "logs", "modules", "plugins")) Files.createDirectories(home.resolve(dir));
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", args[2])
            .put("node.name", "bulwark-test-node")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", "0") // any free port: one node, nothing connects to it
            .put("http.type", Netty4Plugin.NETTY_HTTP_TRANSPORT_NAME)
            .put("transport.type", Netty4Plugin.NETTY_TRANSPORT_NAME)
            // A test machine's disk may be fuller than production watermarks allow; shards must still be placed.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
        Environment environment = new Environment(settings, home.resolve("config"));
        // The node's log goes to stdout (the script sends it to a file): INFO and above, one line per event.
        Files.writeString(home.resolve("config/log4j2.properties"), String.join("\n",
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%c{1.}] %m%n",
            "rootLogger.level = info",
            "rootLogger.appenderRef.console.ref = console",
            ""));
        LogConfigurator.configure(environment, true);
        NodeServiceProvider services = new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, Settings nodeSettings) {
                return new ClasspathPluginsService(nodeSettings, env, List.of(new Netty4Plugin(), new StandInDeleteDataStream(), new StandInAnalysis()));
            }
        };
        Node node = new Node(NodeConstruction.prepareConstruction(environment, services, true));
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "bulwark-test-node-shutdown"));
        node.start();
        System.out.println("bulwark-test-node started: http://127.0.0.1:" + args[1]);
        closed.await();
    }
}
