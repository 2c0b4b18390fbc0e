/**
 * The in-process reference backend ({@code local://NAME}): managers created with the same name share one lock table
 * in this JVM, with leases, fencing and waiting, and pass the whole TCK. For unit tests of service code and for
 * single-process deployments; it coordinates nothing across processes.
 */
package io.distlock.local;
