/**
 * The distlock TCK: one abstract JUnit 5 class per contract area of {@code docs/CONTRACT.md}. A backend module runs
 * the kit by extending each class with a method that returns its {@link io.distlock.tck.TckBackend}; every test's
 * display name cites the clause it verifies, and a capability the backend lacks is reported as a skipped test with
 * the reason.
 */
package io.distlock.tck;
