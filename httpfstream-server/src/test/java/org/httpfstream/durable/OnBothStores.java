package org.httpfstream.durable;

import org.httpfstream.testing.StoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Base of the rule tests whose every test holds alike on both stores: JUnit runs each subclass once
 * over the files of a {@link StoreExtension} and once over a memory store ({@link Rules.Store}), and
 * before each test {@link #r} is the rules over that store, on a manual clock. Tests that hold on one
 * store only live in {@link OneStoreRulesTest}.
 *
 * <p>Thread safety: like a test instance, used from the test's thread.
 */
@ParameterizedClass(name = "{0} store")
@EnumSource(Rules.Store.class)
abstract class OnBothStores {
    @RegisterExtension
    final StoreExtension stores = new StoreExtension();

    /** The store this run is on. */
    @Parameter
    Rules.Store kind;

    /** The rules over {@link #kind}, new for each test. */
    Rules r;

    @BeforeEach
    void openRules() {
        r = Rules.on(kind, stores);
    }
}
