// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * lib/sys: one typed function per bpf() command. Builds attr bytes from field tables,
 * calls the native addon (which checks every pointer against its Buffer), decodes
 * results and turns errno into BpfError. Knows union bpf_attr, nothing about objects.
 */
export { Fd } from './fd';
export { CAP_BPF, CAP_SYS_ADMIN, errnoTable, hasEffectiveCapabilities, kernelRelease, LITTLE_ENDIAN } from './host';
export type { EncodedAttr, FdLike } from './attr';
export {
  BPF_ANY,
  BPF_EXIST,
  BPF_F_LINK,
  BPF_F_MMAPABLE,
  BPF_F_RDONLY_PROG,
  BPF_F_REPLACE,
  BPF_F_SLEEPABLE,
  BPF_F_VTYPE_BTF_OBJ_FD,
  BPF_NOEXIST,
  BpfAttachType,
  BpfCmd,
  BpfLinkType,
  BpfMapType,
  BpfProgType,
  bpfAttachTypeName,
  bpfCmdName,
  bpfLinkTypeName,
  bpfMapTypeName,
  bpfProgTypeName,
} from './constants';
export { encodeMapCreateAttr, mapCreate } from './map-create';
export type { MapCreateAttr } from './map-create';
export { KEY_ZERO, mapDeleteElem, mapGetNextKey, mapLookupElem, mapUpdateElem } from './map-elem';
export { mapFreeze } from './map-freeze';
export { encodeProgLoadAttr, progLoad, progLoadAsync } from './prog-load';
export type { ProgLoadAttr } from './prog-load';
export { btfLoad, btfLoadAsync } from './btf-load';
export { mapGetInfo } from './map-info';
export type { MapInfo } from './map-info';
export { progGetInfo } from './prog-info';
export type { ProgInfo } from './prog-info';
export { linkGetInfo } from './link-info';
export type { LinkInfo } from './link-info';
export { btfGetInfo } from './btf-info';
// BPF_OBJ_GET_INFO_BY_FD with a caller-laid-out info buffer (the typed *GetInfo wrap it).
export { objGetInfo } from './obj-info';
export type { BtfInfoTargets } from './obj-info';
export type { BtfInfo } from './btf-info';
export { btfGetNextId, linkGetNextId, mapGetNextId, progGetNextId } from './get-next-id';
export { btfGetFdById, linkGetFdById, mapGetFdById, progGetFdById } from './get-fd-by-id';
export { linkCreate } from './link-create';
export type { LinkCreateAttr } from './link-create';
export { linkUpdate } from './link-update';
export { linkDetach } from './link-detach';
export { progBindMap } from './prog-bind-map';
export { encodeProgTestRunAttr, progTestRun } from './prog-test-run';
export { encodeProgAssocStructOpsAttr, progAssocStructOps } from './prog-assoc-struct-ops';
export { encodeRawTracepointOpenAttr, rawTracepointOpen } from './raw-tracepoint-open';
export type { ProgTestRunAttr, ProgTestRunResult } from './prog-test-run';
export { objGet, objPin } from './obj-pin';
export { getsockopt, setsockopt } from './sockopt';
export { perfEventOpenTracepoint } from './perf-event-open';
// Raw access for tests and diagnostics: the addon itself (bpf/bpfAsync/close).
export { nativeAddon } from './native';
export { crc32 } from './crc32';
export { gunzip } from './gunzip';
export { mapFileReadOnly } from './file-map';
export type { FileMap, RecordBlocks, RecordSizeTables } from './file-map';
export { pageSizeFromAuxv, systemPageSize } from './page-size';
// The map handle (one native handle per map, ops without attr bytes) and the ring/mmap
// entry points built on it: what lib/maps is made of.
export { MapHandle, errnoError, pidfdOpen } from './map-handle';
export type { MapLayout, NativeMapHandle } from './map-handle';
export { callRingAddon, ringAddon } from './map-ring';
export type { NativeRingReader, NativeRingWriter } from './map-ring';
