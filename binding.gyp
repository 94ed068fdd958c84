{
  # One addon, struct_ops.node: a bpf() shim that checks every user pointer it hands the
  # kernel against the Buffer it came from (see native/commands.cc).
  'targets': [
    {
      'target_name': 'struct_ops',
      'sources': [
        'native/addon.cc',
        'native/async.cc',
        'native/commands.cc',
        'native/crc32.cc',
        'native/errors.cc',
        'native/fd_kind.cc',
        'native/gunzip.cc',
        'native/file_map.cc',
        'native/obj_info.cc',
        'native/map_sizes.cc',
        'native/map_handle.cc',
        'native/mapped.cc',
        'native/perf_event.cc',
        'native/prog_load.cc',
        'native/prog_test_run.cc',
        'native/ringbuf.cc',
        'native/sockopt.cc',
      ],
      # node_addon_api_maybe: C++ exceptions off and Maybe<T> results that must be checked.
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_maybe",
      ],
      'defines': [
        'NAPI_VERSION=8',
        'NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED',
        'NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
      ],
      'cflags_cc': ['-std=c++17', '-fvisibility=hidden', '-Wall', '-Wextra', '-Wpedantic'],
      'cflags_cc!': ['-std=gnu++17', '-std=gnu++20'],
    },
  ],
}
