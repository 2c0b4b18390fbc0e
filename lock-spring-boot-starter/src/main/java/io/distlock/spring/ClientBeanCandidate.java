package io.distlock.spring;

import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.idempotency.spi.RecordStore;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.NoUniqueBeanDefinitionException;
import org.springframework.beans.factory.ObjectProvider;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * A candidate that finds one client bean of the application (never closed by us: the managers and stores made on it
 * are told it is the caller's) and makes the manager and the store on it.
 *
 * @param <C> the client type
 */
final class ClientBeanCandidate<C> implements BackendCandidate {

    private final int order;
    private final Class<C> type;
    private final String module;
    private final ListableBeanFactory beans;
    private final ObjectProvider<C> clients;
    private final BiFunction<C, LockSettings, LockManager> locks;
    private final BiFunction<C, LockSettings, RecordStore> records;

    ClientBeanCandidate(int order, Class<C> type, String module, ListableBeanFactory beans,
                        BiFunction<C, LockSettings, LockManager> locks,
                        BiFunction<C, LockSettings, RecordStore> records) {
        this.order = order;
        this.type = type;
        this.module = module;
        this.beans = beans;
        this.clients = beans.getBeanProvider(type);
        this.locks = locks;
        this.records = records;
    }

    @Override
    public int order() {
        return order;
    }

    @Override
    public String choice() {
        return "a " + type.getName() + " bean (" + module + ")";
    }

    @Override
    public Optional<Backend> find() {
        String[] names = beans.getBeanNamesForType(type, true, false);
        if (names.length == 0) {
            return Optional.empty();
        }
        C client;
        try {
            client = clients.getIfUnique();
        } catch (NoUniqueBeanDefinitionException e) {
            client = null;
        }
        if (client == null) {
            throw new IllegalStateException("distlock found " + names.length + " " + type.getSimpleName()
                    + " beans " + Arrays.toString(names) + " and none is @Primary; mark the one for locks @Primary, "
                    + "or set distlock.uri, or define the LockManager bean yourself");
        }
        String description = type.getSimpleName() + " bean" + (names.length == 1 ? " '" + names[0] + "'" : "");
        C chosen = client;
        return Optional.of(new Backend() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public LockManager locks(LockSettings settings) {
                return locks.apply(chosen, settings);
            }

            @Override
            public RecordStore records(LockSettings settings) {
                return records.apply(chosen, settings);
            }
        });
    }
}
