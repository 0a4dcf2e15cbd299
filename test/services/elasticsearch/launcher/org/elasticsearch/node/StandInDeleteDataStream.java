package org.elasticsearch.node;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.ClusterState;
import org.elasticsearch.cluster.ClusterStateUpdateTask;
import org.elasticsearch.cluster.metadata.DataStream;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.metadata.Metadata;
import org.elasticsearch.cluster.metadata.MetadataDeleteIndexService;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.regex.Regex;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.Index;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;

/**
 * TEST-HARNESS STAND-IN, not Elasticsearch's code and not something Bulwark's product may call.
 *
 * The embedded node has no data-streams module (it is not published on Maven Central), so nothing serves
 * `DELETE /_data_stream/{name}`, and a data stream's write index cannot be deleted through the index API. The test
 * suites create a data stream per dataset under a random prefix and must remove them afterwards, or a whole `npm test`
 * leaves hundreds of shards on a 512 MB node. This is the smallest handler that does that: it removes the matching
 * data streams from the cluster metadata and deletes their backing indices in one cluster-state update. It answers
 * `{"acknowledged":true}` (also when nothing matched: the suites' clean-up is idempotent). No other `_data_stream`
 * route exists, so `GET /_data_stream` still answers 400 "no handler" and the adapter's capability probe still sees a
 * server without the data stream API.
 */
public final class StandInDeleteDataStream extends Plugin implements ActionPlugin {
    private final AtomicReference<ClusterService> clusterService = new AtomicReference<>();

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService.set(services.clusterService());
        return List.of();
    }

    @Override
    public Collection<RestHandler> getRestHandlers(
        Settings settings,
        NamedWriteableRegistry namedWriteableRegistry,
        RestController restController,
        ClusterSettings clusterSettings,
        IndexScopedSettings indexScopedSettings,
        SettingsFilter settingsFilter,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<DiscoveryNodes> nodesInCluster,
        Predicate<NodeFeature> clusterSupportsFeature
    ) {
        return List.of(new DeleteDataStreamStandIn(clusterService::get, settings));
    }

    /** `DELETE /_data_stream/{name}`: comma-separated names, `*` wildcards. */
    static final class DeleteDataStreamStandIn extends BaseRestHandler {
        private final Supplier<ClusterService> clusterService;
        private final Settings settings;

        DeleteDataStreamStandIn(Supplier<ClusterService> clusterService, Settings settings) {
            this.clusterService = clusterService;
            this.settings = settings;
        }

        @Override
        public String getName() {
            return "bulwark_test_harness_delete_data_stream";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.DELETE, "/_data_stream/{name}"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
            String[] patterns = request.param("name").split(",");
            return channel -> clusterService.get().submitUnbatchedStateUpdateTask(
                "bulwark-test-harness: delete data streams " + Arrays.toString(patterns),
                new ClusterStateUpdateTask() {
                    @Override
                    public ClusterState execute(ClusterState current) {
                        Metadata.Builder metadata = Metadata.builder(current.metadata());
                        Set<Index> backing = new HashSet<>();
                        for (DataStream stream : current.metadata().dataStreams().values()) {
                            if (Regex.simpleMatch(patterns, stream.getName()) == false) continue;
                            metadata.removeDataStream(stream.getName());
                            backing.addAll(stream.getIndices());
                            backing.addAll(stream.getFailureIndices().getIndices());
                        }
                        if (backing.isEmpty()) return current;
                        // The streams go first: the index service refuses to delete an index that is still a write index.
                        ClusterState withoutStreams = ClusterState.builder(current).metadata(metadata).build();
                        return MetadataDeleteIndexService.deleteIndices(withoutStreams, backing, settings);
                    }

                    @Override
                    public void onFailure(Exception e) {
                        try {
                            channel.sendResponse(new RestResponse(channel, e));
                        } catch (Exception ignored) {
                            channel.sendResponse(new RestResponse(RestStatus.INTERNAL_SERVER_ERROR, e.toString()));
                        }
                    }

                    @Override
                    public void clusterStateProcessed(ClusterState before, ClusterState after) {
                        channel.sendResponse(new RestResponse(RestStatus.OK, "application/json", "{\"acknowledged\":true}"));
                    }
                }
            );
        }
    }
}
