package io.distlock.bench.jmh_generated;
public class ThreadKeys_jmhType extends ThreadKeys_jmhType_B3 {
}

