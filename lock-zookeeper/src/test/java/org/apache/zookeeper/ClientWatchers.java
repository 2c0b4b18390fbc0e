package org.apache.zookeeper;

import java.util.Map;
import java.util.Set;

/**
 * Test access to what a ZooKeeper client keeps of its watches: the client's watch manager is package-private, and
 * what matters here (how many {@link Watcher} objects wait on one path) is not visible on the server, which keeps
 * one watch per path and connection however many watcher objects the client registered.
 */
public final class ClientWatchers {

    private ClientWatchers() {
    }

    /** How many watcher objects {@code zk} keeps for data and exists events on {@code path}. */
    public static int count(ZooKeeper zk, String path) {
        ZKWatchManager manager = zk.getWatchManager();
        return size(manager.getDataWatches(), path) + size(manager.getExistWatches(), path);
    }

    private static int size(Map<String, Set<Watcher>> watches, String path) {
        synchronized (watches) {
            Set<Watcher> set = watches.get(path);
            return set == null ? 0 : set.size();
        }
    }
}
