package org.elasticsearch.node;

import java.util.Map;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.TruncateTokenFilter;
import org.apache.lucene.analysis.pattern.PatternTokenizer;
import org.elasticsearch.common.regex.Regex;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * TEST-HARNESS STAND-IN for three analysis components of Elasticsearch's `analysis-common` module, which every
 * Elasticsearch distribution ships but which is not published on Maven Central: the `pattern` tokenizer and the
 * `asciifolding` and `truncate` token filters. The bare server has only the `standard` tokenizer and the `lowercase`,
 * `stop` and `shingle` filters, and Bulwark's `message` analyzer (packages/store/src/search/layout.ts) needs these three
 * to split words exactly as the SQLite store does; no server-only analyzer does that, so without them the template is
 * refused. Each is Lucene's own class (lucene-analysis-common, on the server's classpath) under the name and with the
 * parameters and defaults the module gives it, so the tests run the adapter's production analyzer: `pattern`
 * (`pattern`, default `\W+`; `flags`; `group`, default -1 = split), `asciifolding` (`preserve_original`, default
 * false; also used to normalize prefix terms, as the module's is), `truncate` (`length`, default 10).
 */
public final class StandInAnalysis extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("pattern", PatternTokenizerStandIn::new);
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of("asciifolding", AsciiFoldingStandIn::new, "truncate", TruncateStandIn::new);
    }

    static final class PatternTokenizerStandIn extends AbstractTokenizerFactory {
        private final java.util.regex.Pattern pattern;
        private final int group;

        PatternTokenizerStandIn(IndexSettings indexSettings, org.elasticsearch.env.Environment env, String name, Settings settings) {
            super(indexSettings, settings, name);
            this.pattern = Regex.compile(settings.get("pattern", "\\W+"), settings.get("flags"));
            this.group = settings.getAsInt("group", -1);
        }

        @Override
        public Tokenizer create() {
            return new PatternTokenizer(pattern, group);
        }
    }

    static final class AsciiFoldingStandIn extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final boolean preserveOriginal;

        AsciiFoldingStandIn(IndexSettings indexSettings, org.elasticsearch.env.Environment env, String name, Settings settings) {
            super(name, settings);
            this.preserveOriginal = settings.getAsBoolean("preserve_original", false);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new ASCIIFoldingFilter(tokenStream, preserveOriginal);
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            // A query term is folded but never doubled: the original is kept at index time only.
            return new ASCIIFoldingFilter(tokenStream, false);
        }
    }

    static final class TruncateStandIn extends AbstractTokenFilterFactory {
        private final int length;

        TruncateStandIn(IndexSettings indexSettings, org.elasticsearch.env.Environment env, String name, Settings settings) {
            super(name, settings);
            this.length = settings.getAsInt("length", 10);
            if (length <= 0) throw new IllegalArgumentException("length parameter must be provided");
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new TruncateTokenFilter(tokenStream, length);
        }
    }
}
