/**
 * distlock in Spring MVC: lock errors as RFC 9457 problem details and {@link io.distlock.spring.web.Idempotent}
 * controller methods honouring the {@code Idempotency-Key} header.
 */
package io.distlock.spring.web;
