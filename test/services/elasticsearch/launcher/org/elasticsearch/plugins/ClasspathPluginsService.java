package org.elasticsearch.plugins;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.jdk.ModuleQualifiedExportsService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * Bulwark test harness: the plugins service of the embedded Elasticsearch node. A packaged Elasticsearch loads its HTTP
 * transport (the transport-netty4 module) from `modules/` in its own class loader; the node embedded here has
 * everything on one classpath, so the plugin instances are added as loaded plugins directly. `modules/` and `plugins/`
 * are empty folders: nothing else is loaded. It lives in this package because LoadedPlugin and plugins() are not
 * public, the same reason Elasticsearch's own test framework keeps its mock plugins service here.
 */
public class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> extra = new ArrayList<>();

    public ClasspathPluginsService(Settings settings, Environment environment, List<Plugin> plugins) {
        super(settings, environment.configFile(), environment.modulesFile(), environment.pluginsFile());
        for (Plugin plugin : plugins) {
            extra.add(new LoadedPlugin(describe(plugin), plugin));
        }
    }

    private static PluginDescriptor describe(Plugin plugin) {
        String name = plugin instanceof Netty4Plugin ? "transport-netty4" : plugin.getClass().getSimpleName();
        return new PluginDescriptor(
            name,
            "loaded from the classpath by the Bulwark test launcher",
            "0",
            org.elasticsearch.Build.current().version(),
            Runtime.version().toString(),
            plugin.getClass().getName(),
            null,
            List.of(),
            false,
            false,
            false,
            false
        );
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        // Called from super's constructor too, before `extra` exists: only the (empty) scanned folders then.
        List<LoadedPlugin> scanned = super.plugins();
        if (extra == null || extra.isEmpty()) return scanned;
        List<LoadedPlugin> all = new ArrayList<>(scanned);
        all.addAll(extra);
        return all;
    }

    /**
     * A packaged node exports the server module's qualified exports to plugin module layers. On a classpath the server
     * is the unnamed module (no descriptor to read), and no plugin gets a layer of its own: nothing to export.
     */
    @Override
    protected void addServerExportsService(Map<String, List<ModuleQualifiedExportsService>> qualifiedExports) {}
}
