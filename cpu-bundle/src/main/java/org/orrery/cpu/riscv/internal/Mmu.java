package org.orrery.cpu.riscv.internal;

import static org.orrery.cpu.riscv.internal.Csr.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.locks.Lock;

import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.Section;

/**
 * The hart's view of memory: software TLBs that map virtual pages straight to RAM segments, the page walk
 * (Sv32/39/48/57 with hardware A/D updates), PMP, the slow paths of loads and stores (misses, MMIO,
 * misaligned accesses, watchpoints) and instruction fetch into decoded pages.
 *
 * <p>Both engines inline the TLB hit: one tag compare (which also rejects misaligned accesses, since the
 * tag keeps the low address bits), then one access by host address ({@link HostMemory}). The write TLB never maps
 * a page that holds decoded or translated code, so every store into code takes {@link #storeSlow}, which
 * invalidates exactly what it overwrites.
 */
final class Mmu {
    static final ValueLayout.OfByte L8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort L16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt L32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong L64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final VarHandle VH8 = L8.varHandle(), VH16 = L16.varHandle(), VH32 = L32.varHandle(), VH64 = L64.varHandle();
    /**
     * All of host memory, addressed by native address: TLB entries hold the host address of a guest page, so a
     * hit is one access by that address (HostMemory's fallback and the atomics go through this constant segment,
     * which HotSpot folds; a segment loaded from the TLB would cost
     * its type, bounds and liveness checks on every access). Safe because entries are only made for RAM and
     * ROM in the current memory map, and every map change flushes them before memory can be released (a
     * memory backend keeps its memory while it is mapped). Needs native access (--enable-native-access).
     */
    static final MemorySegment HOST = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    static final int TLB_BITS = 8, TLB_SIZE = 1 << TLB_BITS, TLB_MASK = TLB_SIZE - 1;
    /** Tag masks by access size: the page bits plus the low bits that must be zero for an aligned access. */
    static final long M1 = ~0xfffL, M2 = ~0xfffL | 1, M4 = ~0xfffL | 3, M8 = ~0xfffL | 7;
    static final int ACC_FETCH = 0, ACC_LOAD = 1, ACC_STORE = 2;

    private final RiscvHart hart;
    private final CsrFile csr;
    private final AddressSpace bus;
    private final boolean rv64;
    private final long amask;

    // One set per privilege level (index 0 U, 1 S, 3 M): data TLBs follow the effective privilege of loads
    // and stores (MPRV), the instruction TLB the current privilege. Changing privilege only selects another
    // set; translation changes flush all of them (in place, so engines may keep the arrays across a block).
    // Data TLB entries interleave tag and host address (entry i at [2i] and [2i+1]): one cache line, one array.
    // The data TLBs live in this hart's slot of a bank shared with the other harts of the address space (see
    // TlbBank); the selected set is the one at dataBase.
    final TlbBank.Slot tlbSlot;
    /**
     * The bank's arrays: data entries (tag = virtual page | alignment bits, then the host address of the page
     * less its virtual address, so that the host address of an access is that plus the guest address, as
     * QEMU's TLB addend) and their physical pages (at index / 2).
     */
    final long[] rTlb, wTlb, rPa, wPa;
    /** Where the selected data set starts in rTlb and wTlb. */
    int dataBase;
    /** The slot went back to the bank (see {@link #close}). */
    private boolean closed;
    private final long[][] xTagSet = new long[4][TLB_SIZE];
    private final DecodedPage[][] xPageSet = new DecodedPage[4][TLB_SIZE];
    /** The selected fetch set. */
    long[] xTag;
    DecodedPage[] xPage;

    /** The offset of va's tag in a set of a data TLB (its host address follows). */
    static int slot(long va) { return (int) (va >>> 11) & (2 * TLB_MASK); }

    /** The index of va's tag in rTlb or wTlb, in the selected set. */
    int dataIndex(long va) { return dataBase + slot(va); }
    /** Decoded (and translated) code by physical page number. */
    final PageMap pages = new PageMap();

    Mmu(RiscvHart hart) {
        this.hart = hart;
        this.csr = hart.csr;
        this.bus = hart.bus;
        this.rv64 = hart.rv64;
        this.amask = hart.amask;
        this.tlbSlot = hart.bus.codePages().attachment(TlbBank.Banks.class, TlbBank.Banks::new).claim();
        TlbBank bank = tlbSlot.bank();
        this.rTlb = bank.read;
        this.wTlb = bank.write;
        this.rPa = bank.readPa;
        this.wPa = bank.writePa;
    }

    /** Gives the TLB slot back (the hart is closed), once. */
    void close() {
        if (!closed) tlbSlot.release();
        closed = true;
    }

    // ---- TLB maintenance ----

    void flushTlb() {
        int base = tlbSlot.base();
        Arrays.fill(rTlb, base, base + TlbBank.SLOT_LONGS, -1L);
        Arrays.fill(wTlb, base, base + TlbBank.SLOT_LONGS, -1L);
        for (int k = 0; k < 4; k++) {
            Arrays.fill(xTagSet[k], -1L);
            Arrays.fill(xPageSet[k], null);
        }
    }

    /** Drops all decoded and translated code (memory map changes, reset). */
    void flushCode() {
        pages.forEach(DecodedPage::discard);
        pages.clear();
        for (int k = 0; k < 4; k++) {
            Arrays.fill(xTagSet[k], -1L);
            Arrays.fill(xPageSet[k], null);
        }
        int base = tlbSlot.base();
        Arrays.fill(wTlb, base, base + TlbBank.SLOT_LONGS, -1L); // pages that were code may now take the fast store path again
    }

    /** Points the TLB fields at the sets of the current (fetch) and effective (data) privilege. */
    void selectTlb() {
        int d = dataPriv(), f = hart.priv;
        dataBase = tlbSlot.base() + d * TlbBank.SET_LONGS;
        xTag = xTagSet[f]; xPage = xPageSet[f];
    }

    int dataPriv() {
        int priv = hart.priv;
        long mstatus = csr.mstatus;
        return priv == 3 && (mstatus & MPRV) != 0 ? (int) ((mstatus >>> 11) & 3) : priv;
    }

    // ---- translation and protection ----

    /**
     * Translates a virtual address. Returns the physical address, or -1 after raising a fault when
     * {@code sideEffects}; without side effects (debugger) nothing is raised and A/D bits are left alone.
     */
    long translate(long va, int acc, int effPriv, boolean sideEffects) {
        long satp = csr.satp, mstatus = csr.mstatus;
        int mode = rv64 ? (int) (satp >>> 60) : (int) (satp >>> 31) & 1;
        if (effPriv == 3 || mode == 0) return va & amask;
        int levels, vpnBits = 9, pteSize = 8;
        if (!rv64) { levels = 2; vpnBits = 10; pteSize = 4; }
        else levels = mode - 5; // Sv39, Sv48, Sv57
        int pageFault = acc == ACC_FETCH ? C_IPAGE : acc == ACC_LOAD ? C_LPAGE : C_SPAGE;
        int accessFault = acc == ACC_FETCH ? C_IACCESS : acc == ACC_LOAD ? C_LACCESS : C_SACCESS;
        if (rv64) {
            int vaBits = 12 + levels * 9;
            if (((va << (64 - vaBits)) >> (64 - vaBits)) != va) return fault(pageFault, va, sideEffects);
        } else {
            va &= 0xffffffffL;
        }
        long a = rv64 ? (satp & ((1L << 44) - 1)) << 12 : (satp & 0x3fffffL) << 12;
        for (int i = levels - 1; i >= 0; i--) {
            long idx = (va >>> (12 + i * vpnBits)) & ((1L << vpnBits) - 1);
            long pteAddr = a + idx * pteSize;
            if (!pmpAllows(pteAddr, pteSize, ACC_LOAD, 1)) return fault(accessFault, va, sideEffects);
            Section s = bus.find(pteAddr);
            if (s == null || s.isMmio() || !s.contains(pteAddr + pteSize - 1)) return fault(accessFault, va, sideEffects);
            long segOff = s.regionOffset() + (pteAddr - s.start());
            long pte = pteSize == 8 ? s.segment().get(L64, segOff) : s.segment().get(L32, segOff) & 0xffffffffL;
            if ((pte & 1) == 0 || ((pte & 2) == 0 && (pte & 4) != 0)) return fault(pageFault, va, sideEffects);
            if (rv64 && (pte >>> 54) != 0) return fault(pageFault, va, sideEffects);
            long ppn = rv64 ? (pte >>> 10) & ((1L << 44) - 1) : (pte >>> 10) & 0x3fffffL;
            if ((pte & 0xa) == 0) { // pointer to next level
                if ((pte & 0xd0) != 0) return fault(pageFault, va, sideEffects); // D, A, U reserved in non-leaf
                a = ppn << 12;
                continue;
            }
            boolean ok;
            if (acc == ACC_FETCH) ok = (pte & 8) != 0;
            else if (acc == ACC_LOAD) ok = (pte & 2) != 0 || ((mstatus & MXR) != 0 && (pte & 8) != 0);
            else ok = (pte & 4) != 0;
            boolean user = (pte & 16) != 0;
            if (effPriv == 0 && !user) ok = false;
            if (effPriv == 1 && user && (acc == ACC_FETCH || (mstatus & SUM) == 0)) ok = false;
            if (!ok) return fault(pageFault, va, sideEffects);
            long lowMask = (1L << (i * vpnBits)) - 1;
            if ((ppn & lowMask) != 0) return fault(pageFault, va, sideEffects);
            if (((pte & 0x40) == 0 || (acc == ACC_STORE && (pte & 0x80) == 0)) && sideEffects) {
                if (s.isRom()) return fault(accessFault, va, sideEffects);
                long npte = pte | 0x40 | (acc == ACC_STORE ? 0x80 : 0);
                // atomically, as hardware does: another hart (or the kernel) may be changing the same entry
                if (!setPte(s, segOff, pteSize, pte, npte)) return translate(va, acc, effPriv, sideEffects);
                codeStored(pteAddr, pteSize);
            }
            long offMask = (1L << (12 + i * vpnBits)) - 1;
            return ((ppn << 12) & ~offMask) | (va & offMask);
        }
        return fault(pageFault, va, sideEffects);
    }

    private static boolean setPte(Section s, long segOff, int pteSize, long pte, long npte) {
        MemorySegment seg = s.segment();
        if (pteSize == 8) {
            if ((segOff & 7) == 0) return Atomics.AVH64.compareAndSet(seg, segOff, pte, npte);
            seg.set(L64, segOff, npte);
        } else {
            if ((segOff & 3) == 0) return Atomics.AVH32.compareAndSet(seg, segOff, (int) pte, (int) npte);
            seg.set(L32, segOff, (int) npte);
        }
        return true;
    }

    private long fault(int cause, long va, boolean sideEffects) {
        if (sideEffects) hart.raise(cause, va);
        return -1;
    }

    /** PMP check of [pa, pa+size) for the access type at privilege p. */
    boolean pmpAllows(long pa, long size, int acc, int p) {
        if (!csr.pmpAny) return p == 3; // entries are implemented: S/U accesses matching none fail
        int[] pmpcfg = csr.pmpcfg;
        long[] pmpaddr = csr.pmpaddr;
        long prevTop = 0;
        for (int i = 0; i < CsrFile.NPMP; i++) {
            int c = pmpcfg[i];
            int a = (c >> 3) & 3;
            long lo, hi; // [lo, hi)
            if (a == 0) { prevTop = pmpaddr[i] << 2; continue; }
            if (a == 1) { lo = prevTop; hi = pmpaddr[i] << 2; }
            else if (a == 2) { lo = pmpaddr[i] << 2; hi = lo + 4; }
            else {
                long v = pmpaddr[i];
                int t = Long.numberOfTrailingZeros(~v);
                if (t >= 54) { lo = 0; hi = -1L; }
                else { long sz = 1L << (t + 3); lo = (v << 2) & ~(sz - 1); hi = lo + sz; }
            }
            prevTop = pmpaddr[i] << 2;
            long end = pa + size;
            boolean anyIn = Long.compareUnsigned(pa, hi) < 0 && Long.compareUnsigned(end, lo) > 0 && Long.compareUnsigned(lo, hi) < 0;
            if (!anyIn) continue;
            boolean allIn = Long.compareUnsigned(pa, lo) >= 0 && Long.compareUnsigned(end, hi) <= 0;
            if (!allIn) return false;
            boolean locked = (c & 0x80) != 0;
            if (p == 3 && !locked) return true;
            int bit = acc == ACC_FETCH ? 4 : acc == ACC_LOAD ? 1 : 2;
            return (c & bit) != 0;
        }
        return p == 3;
    }

    // ---- data access slow paths (fast paths are inlined into the engines) ----

    /** Loads from va after a TLB miss; returns 0 after raising a fault. Refills the read TLB for RAM pages. */
    long loadSlow(long va, int size) {
        if ((va & (size - 1)) != 0) {
            // misaligned: done byte by byte in hardware, as QEMU does
            long v = 0;
            for (int k = 0; k < size; k++) {
                long b = loadSlow(va + k, 1);
                if (hart.trapped) return 0;
                v |= (b & 0xff) << (8 * k);
            }
            return v;
        }
        int ep = dataPriv();
        long pa = translate(va, ACC_LOAD, ep, true);
        if (pa == -1) return 0;
        if (hart.watching() && hart.watchCheck(va, size, false)) return 0;
        Section s = bus.find(pa);
        if (s == null || !s.contains(pa + size - 1) || !pmpAllows(pa, size, ACC_LOAD, ep)) { hart.raise(C_LACCESS, va); return 0; }
        long off = s.regionOffset() + (pa - s.start());
        if (s.isMmio()) {
            Lock devices = hart.env.deviceLock();
            devices.lock();
            try {
                return s.mmio().read(off, size);
            } catch (RuntimeException e) {
                hart.raise(C_LACCESS, va);
                return 0;
            } finally {
                devices.unlock();
            }
        }
        mapForLoads(va, pa, s, off, ep);
        return AddressSpace.load(s.segment(), off, size);
    }

    /** Maps va's page into the read TLB when the whole page may be reached through it (off: pa's offset in s). */
    void mapForLoads(long va, long pa, Section s, long off, int ep) {
        long pageStart = pa & ~0xfffL;
        if (cacheable(s, pageStart) && pmpAllows(pageStart, 4096, ACC_LOAD, ep)) {
            int i = dataIndex(va);
            rTlb[i] = va & ~0xfffL;
            rTlb[i + 1] = s.segment().address() + off - va;
            rPa[i >> 1] = pageStart;
        }
    }

    /** Maps va's page into the write TLB likewise; a page holding code never is (stores there must drop it). */
    void mapForStores(long va, long pa, Section s, long off, int ep) {
        long pageStart = pa & ~0xfffL;
        if (!hart.codePages.isHeld(pa >>> 12) && cacheable(s, pageStart) && pmpAllows(pageStart, 4096, ACC_STORE, ep)) {
            int i = dataIndex(va);
            wTlb[i] = va & ~0xfffL;
            wTlb[i + 1] = s.segment().address() + off - va;
            wPa[i >> 1] = pageStart;
        }
    }

    /** Stores to va after a TLB miss; raises a fault instead when it may not. Refills the write TLB for RAM pages without code. */
    void storeSlow(long va, int size, long value) {
        if ((va & (size - 1)) != 0) {
            // check every byte translates before writing any
            int ep = dataPriv();
            for (int k = 0; k < size; k++) if (translate(va + k, ACC_STORE, ep, true) == -1) return;
            for (int k = 0; k < size; k++) {
                storeSlow(va + k, 1, value >>> (8 * k));
                if (hart.trapped) return;
            }
            return;
        }
        int ep = dataPriv();
        long pa = translate(va, ACC_STORE, ep, true);
        if (pa == -1) return;
        if (hart.watching() && hart.watchCheck(va, size, true)) return;
        Section s = bus.find(pa);
        if (s == null || !s.contains(pa + size - 1) || !pmpAllows(pa, size, ACC_STORE, ep)) { hart.raise(C_SACCESS, va); return; }
        long off = s.regionOffset() + (pa - s.start());
        if (s.isMmio()) {
            Lock devices = hart.env.deviceLock();
            devices.lock();
            try {
                s.mmio().write(off, size, value);
            } catch (RuntimeException e) {
                hart.raise(C_SACCESS, va);
                return;
            } finally {
                devices.unlock();
            }
            hart.attention = true; // the device may have raised an interrupt or changed the map
            return;
        }
        if (s.isRom()) return;
        AddressSpace.store(s.segment(), off, size, value);
        if (hart.codePages.isHeld(pa >>> 12)) {
            codeStored(pa, size); // code, this hart's or another's: never mapped for fast stores
        } else {
            mapForStores(va, pa, s, off, ep);
        }
        hart.clearReservationOn(pa, size);
    }

    /** Whether the whole page at pageStart may be reached through the TLB: native memory of one section, no watchpoints. */
    private boolean cacheable(Section s, long pageStart) {
        return !hart.watching() && s.segment().isNative() && s.contains(pageStart) && s.contains(pageStart + 0xfff);
    }

    /** This hart stored into [pa, pa+size): its own code there goes now, the other holders hear of it. */
    void codeStored(long pa, long size) {
        invalidateOwnCode(pa, size);
        hart.codePages.written(pa, size, hart.codeHolder);
    }

    /** Another hart's page of code: forget any fast write mapping of it (on this hart's thread). */
    void dropWriteMappings(long page) {
        long paPage = page << 12;
        for (int i = tlbSlot.base(), end = i + TlbBank.SLOT_LONGS; i < end; i += 2) {
            if (wTlb[i] != -1 && wPa[i >> 1] == paPage) wTlb[i] = -1;
        }
    }

    /** Drops decoded and translated code of this hart that covers [pa, pa+size). */
    void invalidateOwnCode(long pa, long size) {
        if (pages.size() == 0 || size <= 0) return;
        for (long page = pa >>> 12, last = (pa + size - 1) >>> 12; page <= last; page++) {
            DecodedPage dp = pages.get(page);
            if (dp == null) continue;
            long from = Math.max(pa, page << 12), to = Math.min(pa + size, (page + 1) << 12);
            invalidate(dp, (int) (from & 0xfff), (int) (to - from));
        }
    }

    private void invalidate(DecodedPage dp, int offset, int size) {
        // a translated region that overwrote itself (or one it may jump to) must not run on
        if (dp.invalidate(offset, size, hart.regionDropped) > 0) hart.attention = true;
    }

    // ---- instruction fetch ----

    /** The decoded page holding va if the instruction TLB maps it already, else null (nothing raised). */
    DecodedPage cachedCodePage(long va) {
        int i = (int) (va >>> 12) & TLB_MASK;
        return xTag[i] == (va & M1) ? xPage[i] : null;
    }

    /** The decoded page holding pc, filling the instruction TLB; null after raising a fetch fault. */
    DecodedPage fetchPage(long va) {
        int i = (int) (va >>> 12) & TLB_MASK;
        if (xTag[i] == (va & M1)) return xPage[i];
        int priv = hart.priv;
        long pa = translate(va, ACC_FETCH, priv, true);
        if (pa == -1) return null;
        long paPage = pa & ~0xfffL;
        DecodedPage dp = pages.get(pa >>> 12);
        if (dp == null) {
            Section s = bus.find(pa);
            if (s == null || s.isMmio() || !s.contains(paPage)) { hart.raise(C_IACCESS, va); return null; } // a region starting mid-page is not cached
            long off = s.regionOffset() + (paPage - s.start());
            int valid = (int) Math.min(4096, s.end() - paPage);
            dp = new DecodedPage(paPage, s.segment(), off, valid);
            pages.put(pa >>> 12, dp);
            // stores to this page, by any hart, must now take the slow path that invalidates decoded code
            hart.codePages.hold(hart.codeHolder, pa >>> 12);
            dropWriteMappings(pa >>> 12);
        }
        if (!pmpAllows(paPage, 4096, ACC_FETCH, priv)) {
            if (!pmpAllows(pa, 2, ACC_FETCH, priv)) { hart.raise(C_IACCESS, va); return null; }
            return dp; // not cached in the TLB: checked again on every page entry
        }
        xTag[i] = va & M1;
        xPage[i] = dp;
        return dp;
    }

    /** Decodes the instruction at pc in page dp (slot idx), caching it unless it crosses the page. */
    long decodeAt(DecodedPage dp, int idx, long pc) {
        int off = idx << 1;
        if (off + 2 > dp.validBytes) { hart.raise(C_IACCESS, pc); return 0; }
        int lo = dp.segment.get(L16, dp.segmentOffset + off) & 0xffff;
        long d;
        if ((lo & 3) != 3) {
            d = hart.decoder.decode(lo);
        } else if (off + 4 <= dp.validBytes && off + 4 <= 4096) {
            int hi = dp.segment.get(L16, dp.segmentOffset + off + 2) & 0xffff;
            d = hart.decoder.decode32(lo | hi << 16);
        } else {
            long pc2 = (pc + 2) & amask;
            if (off + 4 <= 4096) { hart.raise(C_IACCESS, pc2); return 0; }
            int priv = hart.priv;
            long pa2 = translate(pc2, ACC_FETCH, priv, true);
            if (pa2 == -1) return 0;
            Section s = bus.find(pa2);
            if (s == null || s.isMmio() || !s.contains(pa2 + 1) || !pmpAllows(pa2, 2, ACC_FETCH, priv)) {
                hart.raise(C_IACCESS, pc2);
                return 0;
            }
            int hi = s.segment().get(L16, s.regionOffset() + (pa2 - s.start())) & 0xffff;
            return hart.decoder.decode32(lo | hi << 16); // not cached: the second half lives in another page
        }
        dp.ops[idx] = d;
        return d;
    }

    /** The raw bits of the instruction at pc for mtval (illegal instruction); 0 if unreadable. */
    long rawInstruction(long pc) {
        long pa = translate(pc, ACC_FETCH, hart.priv, false);
        if (pa == -1) return 0;
        try {
            int lo = (int) bus.read(pa, 2);
            if ((lo & 3) != 3 && hart.cfg.c()) return lo;
            long pa2 = translate(pc + 2, ACC_FETCH, hart.priv, false);
            if (pa2 == -1) return 0;
            return (lo | (bus.read(pa2, 2) << 16)) & 0xffffffffL;
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
