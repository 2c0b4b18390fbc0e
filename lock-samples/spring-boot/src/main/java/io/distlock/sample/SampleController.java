package io.distlock.sample;

import io.distlock.spring.web.Idempotent;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;

/** The two endpoints of the sample. */
@RestController
public class SampleController {

    /** An order as the client sends it. */
    public record PlaceOrderRequest(String item, int quantity) {
    }

    /** The order as created. */
    public record Order(long id, String item, int quantity) {
    }

    private final UserService users;
    private final AtomicLong orders = new AtomicLong();

    public SampleController(UserService users) {
        this.users = users;
    }

    @PostMapping("/users")
    public UserService.SaveOrUpdateUserDTO saveOrUpdateUser(@RequestBody UserService.SaveOrUpdateUserRequest request)
            throws InterruptedException {
        return users.saveOrUpdateUser(request, null);
    }

    /** Runs once per Idempotency-Key; a retry gets the same 201, Location and body, on either instance. */
    @PostMapping("/orders")
    @Idempotent
    public ResponseEntity<Order> placeOrder(@RequestBody PlaceOrderRequest request) {
        Order order = new Order(orders.incrementAndGet(), request.item(), request.quantity());
        return ResponseEntity.created(URI.create("/orders/" + order.id())).body(order);
    }
}
