/**
 * UAPI constants of the bpf() syscall (include/uapi/linux/bpf.h), with name lookups so
 * errors can say `BPF_PROG_LOAD` rather than `5`. Enum values were taken from the BTF of
 * Linux 6.18; the kernel never renumbers them.
 */

/** map_flags: struct_ops map registered through BPF_LINK_CREATE rather than UPDATE_ELEM. */
export const BPF_F_LINK = 0x2000;
/** map_flags: value_type_btf_obj_fd names the module BTF of the struct_ops value type. */
export const BPF_F_VTYPE_BTF_OBJ_FD = 0x8000;
/** map_flags: programs may only read the map (libbpf sets it on `.rodata`). */
export const BPF_F_RDONLY_PROG = 0x80;
/** map_flags: the array map can be mmap()ed. */
export const BPF_F_MMAPABLE = 0x400;
/** prog_flags: sleepable program (`struct_ops.s/` sections). */
export const BPF_F_SLEEPABLE = 0x10;
/** LINK_UPDATE flags: replace only if the current program/map is old_fd. */
export const BPF_F_REPLACE = 4;
/** MAP_UPDATE_ELEM flags: create or update. */
export const BPF_ANY = 0;
/** MAP_UPDATE_ELEM flags: create only. */
export const BPF_NOEXIST = 1;
/** MAP_UPDATE_ELEM flags: update only. */
export const BPF_EXIST = 2;

/** UAPI enum bpf_cmd: the bpf() command numbers. Values as of Linux 6.18; names drop the `BPF_` prefix. */
export enum BpfCmd {
  MAP_CREATE = 0,
  MAP_LOOKUP_ELEM = 1,
  MAP_UPDATE_ELEM = 2,
  MAP_DELETE_ELEM = 3,
  MAP_GET_NEXT_KEY = 4,
  PROG_LOAD = 5,
  OBJ_PIN = 6,
  OBJ_GET = 7,
  PROG_ATTACH = 8,
  PROG_DETACH = 9,
  /** Alias; listed first so the reverse mapping names the command BPF_PROG_TEST_RUN. */
  PROG_RUN = 10,
  PROG_TEST_RUN = 10,
  PROG_GET_NEXT_ID = 11,
  MAP_GET_NEXT_ID = 12,
  PROG_GET_FD_BY_ID = 13,
  MAP_GET_FD_BY_ID = 14,
  OBJ_GET_INFO_BY_FD = 15,
  PROG_QUERY = 16,
  RAW_TRACEPOINT_OPEN = 17,
  BTF_LOAD = 18,
  BTF_GET_FD_BY_ID = 19,
  TASK_FD_QUERY = 20,
  MAP_LOOKUP_AND_DELETE_ELEM = 21,
  MAP_FREEZE = 22,
  BTF_GET_NEXT_ID = 23,
  MAP_LOOKUP_BATCH = 24,
  MAP_LOOKUP_AND_DELETE_BATCH = 25,
  MAP_UPDATE_BATCH = 26,
  MAP_DELETE_BATCH = 27,
  LINK_CREATE = 28,
  LINK_UPDATE = 29,
  LINK_GET_FD_BY_ID = 30,
  LINK_GET_NEXT_ID = 31,
  ENABLE_STATS = 32,
  ITER_CREATE = 33,
  LINK_DETACH = 34,
  PROG_BIND_MAP = 35,
  TOKEN_CREATE = 36,
  PROG_STREAM_READ_BY_FD = 37,
}

/** UAPI enum bpf_map_type. Values as of Linux 6.18; names drop the `BPF_MAP_TYPE_` prefix. */
export enum BpfMapType {
  UNSPEC = 0,
  HASH = 1,
  ARRAY = 2,
  PROG_ARRAY = 3,
  PERF_EVENT_ARRAY = 4,
  PERCPU_HASH = 5,
  PERCPU_ARRAY = 6,
  STACK_TRACE = 7,
  CGROUP_ARRAY = 8,
  LRU_HASH = 9,
  LRU_PERCPU_HASH = 10,
  LPM_TRIE = 11,
  ARRAY_OF_MAPS = 12,
  HASH_OF_MAPS = 13,
  DEVMAP = 14,
  SOCKMAP = 15,
  CPUMAP = 16,
  XSKMAP = 17,
  SOCKHASH = 18,
  CGROUP_STORAGE = 19,
  REUSEPORT_SOCKARRAY = 20,
  PERCPU_CGROUP_STORAGE = 21,
  QUEUE = 22,
  STACK = 23,
  SK_STORAGE = 24,
  DEVMAP_HASH = 25,
  STRUCT_OPS = 26,
  RINGBUF = 27,
  INODE_STORAGE = 28,
  TASK_STORAGE = 29,
  BLOOM_FILTER = 30,
  USER_RINGBUF = 31,
  CGRP_STORAGE = 32,
  ARENA = 33,
}

/** UAPI enum bpf_prog_type. Values as of Linux 6.18; names drop the `BPF_PROG_TYPE_` prefix. */
export enum BpfProgType {
  UNSPEC = 0,
  SOCKET_FILTER = 1,
  KPROBE = 2,
  SCHED_CLS = 3,
  SCHED_ACT = 4,
  TRACEPOINT = 5,
  XDP = 6,
  PERF_EVENT = 7,
  CGROUP_SKB = 8,
  CGROUP_SOCK = 9,
  LWT_IN = 10,
  LWT_OUT = 11,
  LWT_XMIT = 12,
  SOCK_OPS = 13,
  SK_SKB = 14,
  CGROUP_DEVICE = 15,
  SK_MSG = 16,
  RAW_TRACEPOINT = 17,
  CGROUP_SOCK_ADDR = 18,
  LWT_SEG6LOCAL = 19,
  LIRC_MODE2 = 20,
  SK_REUSEPORT = 21,
  FLOW_DISSECTOR = 22,
  CGROUP_SYSCTL = 23,
  RAW_TRACEPOINT_WRITABLE = 24,
  CGROUP_SOCKOPT = 25,
  TRACING = 26,
  STRUCT_OPS = 27,
  EXT = 28,
  LSM = 29,
  SK_LOOKUP = 30,
  SYSCALL = 31,
  NETFILTER = 32,
}

/** UAPI enum bpf_attach_type. Values as of Linux 6.18; names drop the `BPF_` prefix. */
export enum BpfAttachType {
  CGROUP_INET_INGRESS = 0,
  CGROUP_INET_EGRESS = 1,
  CGROUP_INET_SOCK_CREATE = 2,
  CGROUP_SOCK_OPS = 3,
  SK_SKB_STREAM_PARSER = 4,
  SK_SKB_STREAM_VERDICT = 5,
  CGROUP_DEVICE = 6,
  SK_MSG_VERDICT = 7,
  CGROUP_INET4_BIND = 8,
  CGROUP_INET6_BIND = 9,
  CGROUP_INET4_CONNECT = 10,
  CGROUP_INET6_CONNECT = 11,
  CGROUP_INET4_POST_BIND = 12,
  CGROUP_INET6_POST_BIND = 13,
  CGROUP_UDP4_SENDMSG = 14,
  CGROUP_UDP6_SENDMSG = 15,
  LIRC_MODE2 = 16,
  FLOW_DISSECTOR = 17,
  CGROUP_SYSCTL = 18,
  CGROUP_UDP4_RECVMSG = 19,
  CGROUP_UDP6_RECVMSG = 20,
  CGROUP_GETSOCKOPT = 21,
  CGROUP_SETSOCKOPT = 22,
  TRACE_RAW_TP = 23,
  TRACE_FENTRY = 24,
  TRACE_FEXIT = 25,
  MODIFY_RETURN = 26,
  LSM_MAC = 27,
  TRACE_ITER = 28,
  CGROUP_INET4_GETPEERNAME = 29,
  CGROUP_INET6_GETPEERNAME = 30,
  CGROUP_INET4_GETSOCKNAME = 31,
  CGROUP_INET6_GETSOCKNAME = 32,
  XDP_DEVMAP = 33,
  CGROUP_INET_SOCK_RELEASE = 34,
  XDP_CPUMAP = 35,
  SK_LOOKUP = 36,
  XDP = 37,
  SK_SKB_VERDICT = 38,
  SK_REUSEPORT_SELECT = 39,
  SK_REUSEPORT_SELECT_OR_MIGRATE = 40,
  PERF_EVENT = 41,
  TRACE_KPROBE_MULTI = 42,
  LSM_CGROUP = 43,
  STRUCT_OPS = 44,
  NETFILTER = 45,
  TCX_INGRESS = 46,
  TCX_EGRESS = 47,
  TRACE_UPROBE_MULTI = 48,
  CGROUP_UNIX_CONNECT = 49,
  CGROUP_UNIX_SENDMSG = 50,
  CGROUP_UNIX_RECVMSG = 51,
  CGROUP_UNIX_GETPEERNAME = 52,
  CGROUP_UNIX_GETSOCKNAME = 53,
  NETKIT_PRIMARY = 54,
  NETKIT_PEER = 55,
  TRACE_KPROBE_SESSION = 56,
  TRACE_UPROBE_SESSION = 57,
}

/** UAPI enum bpf_link_type. Values as of Linux 6.18; names drop the `BPF_LINK_TYPE_` prefix. */
export enum BpfLinkType {
  UNSPEC = 0,
  RAW_TRACEPOINT = 1,
  TRACING = 2,
  CGROUP = 3,
  ITER = 4,
  NETNS = 5,
  XDP = 6,
  PERF_EVENT = 7,
  KPROBE_MULTI = 8,
  STRUCT_OPS = 9,
  NETFILTER = 10,
  TCX = 11,
  UPROBE_MULTI = 12,
  NETKIT = 13,
  SOCKMAP = 14,
}
/** UAPI name of a bpf() command: `5` -> `'BPF_PROG_LOAD'` (unknown: `'BPF_CMD_99'`). */
export function bpfCmdName(cmd: number): string {
  const name: string | undefined = BpfCmd[cmd];
  return name === undefined ? `BPF_CMD_${cmd}` : `BPF_${name}`;
}

/** UAPI name of a map type: `26` -> `'BPF_MAP_TYPE_STRUCT_OPS'`. */
export function bpfMapTypeName(type: number): string {
  const name: string | undefined = BpfMapType[type];
  return `BPF_MAP_TYPE_${name ?? type}`;
}

/** UAPI name of a program type: `27` -> `'BPF_PROG_TYPE_STRUCT_OPS'`. */
export function bpfProgTypeName(type: number): string {
  const name: string | undefined = BpfProgType[type];
  return `BPF_PROG_TYPE_${name ?? type}`;
}

/** UAPI name of an attach type: `44` -> `'BPF_STRUCT_OPS'` (unknown: `'BPF_ATTACH_TYPE_99'`). */
export function bpfAttachTypeName(type: number): string {
  const name: string | undefined = BpfAttachType[type];
  return name === undefined ? `BPF_ATTACH_TYPE_${type}` : `BPF_${name}`;
}

/** UAPI name of a link type: `9` -> `'BPF_LINK_TYPE_STRUCT_OPS'`. */
export function bpfLinkTypeName(type: number): string {
  const name: string | undefined = BpfLinkType[type];
  return `BPF_LINK_TYPE_${name ?? type}`;
}
