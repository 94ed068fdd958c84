/**
 * `--events MAP[:TYPE]`: records of a BPF_MAP_TYPE_RINGBUF map, printed as they arrive,
 * decoded through the object's BTF as TYPE (a struct or typedef name; raw bytes as hex
 * without one). The library's ring buffer reader waits in the event loop (uv_poll), so
 * records interleave with the refreshes without any polling here.
 */
import { BpfError, type BpfObject, type RingBufferReader } from '../../index';
import type { EventRecord } from '../view/model';

export interface EventSpec {
  map: string;
  type?: string;
}

/** `MAP` or `MAP:TYPE`. @throws {BpfError} EINVAL for an empty part */
export function parseEventSpec(text: string): EventSpec {
  const colon = text.indexOf(':');
  const map = colon < 0 ? text : text.slice(0, colon);
  const type = colon < 0 ? undefined : text.slice(colon + 1);
  if (map === '' || type === '') {
    throw new BpfError(`--events ${JSON.stringify(text)}: expected MAP or MAP:TYPE`, { code: 'EINVAL', hint: 'e.g. --events events:struct_event' });
  }
  return type === undefined ? { map } : { map, type };
}

/** Readers of the selected ring buffers, feeding `onRecord` until {@link close}. */
export class EventStreams {
  readonly #readers: { map: string; reader: RingBufferReader }[] = [];
  readonly #loops: Promise<void>[] = [];

  /**
   * Opens a reader per spec (after load).
   * @throws {BpfError} ENOENT for an unknown map, EINVAL for a map that is not a ring
   *   buffer or a TYPE the object's BTF lacks
   */
  constructor(obj: BpfObject, specs: EventSpec[], onRecord: (r: EventRecord) => void, onError: (err: unknown) => void) {
    try {
      for (const spec of specs) {
        const map = obj.maps.get(spec.map);
        if (!map) {
          const rings = [...obj.maps.values()].filter((m) => m.typeName === 'RINGBUF').map((m) => m.name);
          throw new BpfError(`--events ${spec.map}: no map named ${spec.map}`, {
            code: 'ENOENT', map: spec.map, hint: rings.length > 0 ? `ring buffers: ${rings.join(', ')}` : 'the object has no ring buffer map',
          });
        }
        const reader = map.ringBuffer(spec.type === undefined ? {} : { type: spec.type });
        this.#readers.push({ map: spec.map, reader });
      }
    } catch (err) {
      this.close();
      throw err;
    }
    for (const { map, reader } of this.#readers) {
      this.#loops.push((async () => {
        for await (const value of reader) onRecord({ map, value: value as EventRecord['value'] });
      })().catch(onError));
    }
  }

  /** Hands out every record already in the rings (after detaching: the last ones). */
  drain(onRecord: (r: EventRecord) => void): void {
    for (const { map, reader } of this.#readers) {
      for (let v = reader.read(); v !== undefined; v = reader.read()) onRecord({ map, value: v as EventRecord['value'] });
    }
  }

  /** Stops the readers (their loops end) and releases the mappings. */
  close(): void {
    for (const { reader } of this.#readers.splice(0)) reader.close();
  }
}
