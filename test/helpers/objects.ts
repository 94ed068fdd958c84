import { BpfLink, BpfObject, openObject } from '../../lib';
import { fixture } from './fixtures';

/** Objects and links a test opened, released after each test even when it fails. */
export interface Tracked {
  /** Opens a fixture by name (`reno`) or an object by path, and tracks it. */
  open(nameOrPath: string): Promise<BpfObject>;
  /** Tracks a link (or legacy registration) so it is closed before the objects. */
  link(link: BpfLink): BpfLink;
  readonly objects: BpfObject[];
  readonly links: BpfLink[];
}

/**
 * Registers an afterEach that closes every tracked link, then every tracked object, so the
 * kernel is left as it was found (links first: closing a legacy registration needs its map).
 */
export function trackObjects(): Tracked {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  afterEach(() => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
  });
  return {
    objects,
    links,
    async open(nameOrPath) {
      const obj = await openObject(nameOrPath.includes('/') ? nameOrPath : fixture(nameOrPath));
      objects.push(obj);
      return obj;
    },
    link(link) {
      links.push(link);
      return link;
    },
  };
}
