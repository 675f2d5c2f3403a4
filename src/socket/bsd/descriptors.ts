/**
 * A descriptor table: small integers handed out lowest-free-first, as
 * POSIX requires of open(), socket() and accept(). Numbers 0–2 are never
 * used (a process has stdin, stdout and stderr there), so the first socket
 * is 3 — what packetdrill scripts expect.
 */
export class DescriptorTable<T> {
  private readonly slots: (T | undefined)[] = [];
  /** Freed numbers below `next`, as a binary min-heap. */
  private readonly freed: number[] = [];
  private next: number;
  private count = 0;

  constructor(
    /** Lowest descriptor handed out. */
    private readonly first = 3,
    /** One more than the highest descriptor allowed (RLIMIT_NOFILE). */
    private readonly limit = 1024,
  ) {
    this.next = first;
  }

  /** Number of descriptors in use. */
  get size(): number {
    return this.count;
  }

  /** True when no descriptor is free (the next allocation would fail with EMFILE). */
  get full(): boolean {
    return this.freed.length === 0 && this.next >= this.limit;
  }

  /** The object behind `fd`, if open. */
  get(fd: number): T | undefined {
    if (!Number.isInteger(fd) || fd < this.first) return undefined;
    return this.slots[fd];
  }

  /** Takes the lowest free descriptor for `value`; -1 when the table is full. */
  alloc(value: T): number {
    let fd: number;
    if (this.freed.length > 0) fd = this.popMin();
    else if (this.next < this.limit) fd = this.next++;
    else return -1;
    this.slots[fd] = value;
    this.count++;
    return fd;
  }

  /** Releases `fd`; false if it was not open. */
  free(fd: number): boolean {
    if (this.get(fd) === undefined) return false;
    this.slots[fd] = undefined;
    this.count--;
    if (fd === this.next - 1) {
      // Shrink from the top so the heap only holds holes.
      this.next--;
      while (this.next > this.first && this.slots[this.next - 1] === undefined && this.removeFromHeap(this.next - 1)) this.next--;
    } else {
      this.push(fd);
    }
    return true;
  }

  /** Every open descriptor with its object, in ascending order. */
  *entries(): IterableIterator<[number, T]> {
    for (let fd = this.first; fd < this.next; fd++) {
      const v = this.slots[fd];
      if (v !== undefined) yield [fd, v];
    }
  }

  private push(v: number): void {
    const h = this.freed;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= h[i]!) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private popMin(): number {
    const h = this.freed;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(i: number): void {
    const h = this.freed;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]! < h[m]!) m = l;
      if (r < h.length && h[r]! < h[m]!) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }

  /** Removes `v` from the heap if present (used when the top shrinks; rare). */
  private removeFromHeap(v: number): boolean {
    const h = this.freed;
    const i = h.indexOf(v);
    if (i === -1) return false;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      // Restore order both ways.
      let j = i;
      while (j > 0) {
        const p = (j - 1) >> 1;
        if (h[p]! <= h[j]!) break;
        [h[p], h[j]] = [h[j]!, h[p]!];
        j = p;
      }
      this.siftDown(j);
    }
    return true;
  }
}
