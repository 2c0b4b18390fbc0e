package io.distlock.sample;

import io.distlock.LockHandle;
import io.distlock.spring.DistributedLock;
import org.springframework.stereotype.Service;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** "Save or update user": one update per operator at a time, on every instance. */
@Service
public class UserService {

    /** What a client sends. */
    public record SaveOrUpdateUserRequest(String operator, String name) {
    }

    /** What the service answers. */
    public record SaveOrUpdateUserDTO(String operator, String name, long fencingToken) {
    }

    private final Map<String, String> users = new ConcurrentHashMap<>();
    private final Duration workTime;

    public UserService(@org.springframework.beans.factory.annotation.Value("${sample.work-time:2s}")
                       Duration workTime) {
        this.workTime = workTime;
    }

    /**
     * Fails fast with {@code LockNotAcquiredException} (409) while another request for the same operator runs. The
     * {@code lock} parameter is filled in by distlock; callers pass null.
     */
    @DistributedLock(key = "'user-update:' + #request.operator")
    public SaveOrUpdateUserDTO saveOrUpdateUser(SaveOrUpdateUserRequest request, LockHandle lock)
            throws InterruptedException {
        Thread.sleep(workTime.toMillis()); // stands for the real work, long enough to send a duplicate
        users.put(request.operator(), request.name());
        return new SaveOrUpdateUserDTO(request.operator(), request.name(), lock.fencingToken());
    }
}
