package io.distlock.jdbc;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The only use of the PostgreSQL driver's own API, in a class of its own so that the backend loads without pgjdbc
 * on the class path (it is an optional dependency: MySQL and H2 users do not need it).
 */
final class PgNotifications {

    private static final String[] NONE = new String[0];

    private PgNotifications() {
    }

    /** Whether {@code connection} (possibly a pool's proxy) is a pgjdbc connection. */
    static boolean supported(Connection connection) {
        try {
            Class.forName("org.postgresql.PGConnection", false, PgNotifications.class.getClassLoader());
            return connection.isWrapperFor(PGConnection.class);
        } catch (ClassNotFoundException | SQLException | LinkageError e) {
            return false;
        }
    }

    /** The payloads of the notifications that arrive within {@code timeoutMillis}. */
    static String[] receive(Connection connection, int timeoutMillis) throws SQLException {
        PGNotification[] received = connection.unwrap(PGConnection.class).getNotifications(timeoutMillis);
        if (received == null || received.length == 0) {
            return NONE;
        }
        String[] payloads = new String[received.length];
        for (int i = 0; i < received.length; i++) {
            payloads[i] = received[i].getParameter();
        }
        return payloads;
    }
}
