package org.orrery.cpu.riscv.internal;

/** CSR numbers and status bits. */
final class Csr {
    private Csr() { }

    static final int FFLAGS = 0x001, FRM = 0x002, FCSR = 0x003;
    static final int CYCLE = 0xc00, TIME = 0xc01, INSTRET = 0xc02, CYCLEH = 0xc80, TIMEH = 0xc81, INSTRETH = 0xc82;
    static final int SSTATUS = 0x100, SIE = 0x104, STVEC = 0x105, SCOUNTEREN = 0x106, SENVCFG = 0x10a,
        SSCRATCH = 0x140, SEPC = 0x141, SCAUSE = 0x142, STVAL = 0x143, SIP = 0x144, STIMECMP = 0x14d,
        STIMECMPH = 0x15d, SATP = 0x180;
    static final int MVENDORID = 0xf11, MARCHID = 0xf12, MIMPID = 0xf13, MHARTID = 0xf14, MCONFIGPTR = 0xf15;
    static final int MSTATUS = 0x300, MISA = 0x301, MEDELEG = 0x302, MIDELEG = 0x303, MIE = 0x304, MTVEC = 0x305,
        MCOUNTEREN = 0x306, MENVCFG = 0x30a, MSTATUSH = 0x310, MENVCFGH = 0x31a, MCOUNTINHIBIT = 0x320,
        MSCRATCH = 0x340, MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343, MIP = 0x344,
        PMPCFG0 = 0x3a0, PMPADDR0 = 0x3b0, MCYCLE = 0xb00, MINSTRET = 0xb02, MCYCLEH = 0xb80, MINSTRETH = 0xb82,
        TSELECT = 0x7a0, TDATA1 = 0x7a1, TDATA2 = 0x7a2, TDATA3 = 0x7a3, TINFO = 0x7a4;

    static final long SIE_B = 1 << 1, MIE_B = 1 << 3, SPIE = 1 << 5, MPIE = 1 << 7, SPP = 1 << 8,
        MPP = 3 << 11, FS = 3 << 13, MPRV = 1 << 17, SUM = 1 << 18, MXR = 1 << 19, TVM = 1 << 20, TW = 1 << 21,
        TSR = 1 << 22;

    static final long IP_SSI = 1 << 1, IP_MSI = 1 << 3, IP_STI = 1 << 5, IP_MTI = 1 << 7, IP_SEI = 1 << 9, IP_MEI = 1 << 11;

    // exception causes
    static final int C_IMISALIGN = 0, C_IACCESS = 1, C_ILLEGAL = 2, C_BREAKPOINT = 3, C_LMISALIGN = 4, C_LACCESS = 5,
        C_SMISALIGN = 6, C_SACCESS = 7, C_ECALL_U = 8, C_ECALL_S = 9, C_ECALL_M = 11, C_IPAGE = 12, C_LPAGE = 13,
        C_SPAGE = 15;
}
