# A broad sample of RV64GC, assembled at test time and compared with objdump.
        .text
        .option norvc
start:
        lui a0, 0x12345
        lui t6, 0xfffff
        auipc t0, 0
        auipc sp, 0x80000
        jal ra, start
        jal zero, fwd
        jal s1, fwd
        jalr ra, 0(a5)
        jalr zero, 0(ra)
        jalr zero, 12(t1)
        jalr a0, -8(a1)
        jalr zero, 0(a3)
        beq a0, a1, start
        bne t0, t1, fwd
        blt s0, s1, start
        bge a2, a3, fwd
        bltu a4, a5, start
        bgeu a6, a7, fwd
        beq a0, zero, fwd
        bne zero, a1, fwd
        blt zero, a2, fwd
        bge zero, a3, fwd
        blt a4, zero, fwd
        bge a5, zero, fwd
        lb a0, -1(sp)
        lh a1, 2(gp)
        lw a2, 4(tp)
        ld a3, 2040(s0)
        lbu a4, -2048(s1)
        lhu a5, 6(t2)
        lwu a6, 8(t3)
        sb a0, -1(sp)
        sh a1, 2(gp)
        sw a2, 4(tp)
        sd a3, -16(s0)
        addi a0, a1, -42
        addi a0, zero, 100
        addi a0, a1, 0
        addi zero, zero, 0
        slti a0, a1, 7
        sltiu a0, a1, 7
        sltiu a0, a1, 1
        xori a0, a1, 255
        xori a0, a1, -1
        ori a0, a1, 3
        andi a0, a1, -16
        slli a0, a1, 63
        srli a0, a1, 1
        srai a0, a1, 32
        add a0, a1, a2
        sub a0, a1, a2
        sub a0, zero, a2
        sll a0, a1, a2
        slt a0, a1, a2
        slt a0, a1, zero
        slt a0, zero, a2
        sltu a0, a1, a2
        sltu a0, zero, a2
        xor a0, a1, a2
        srl a0, a1, a2
        sra a0, a1, a2
        or a0, a1, a2
        and a0, a1, a2
        addiw a0, a1, -5
        addiw a0, a1, 0
        slliw a0, a1, 31
        srliw a0, a1, 3
        sraiw a0, a1, 4
        addw a0, a1, a2
        subw a0, a1, a2
        subw a0, zero, a2
        sllw a0, a1, a2
        srlw a0, a1, a2
        sraw a0, a1, a2
        mul a0, a1, a2
        mulh a0, a1, a2
        mulhsu a0, a1, a2
        mulhu a0, a1, a2
        div a0, a1, a2
        divu a0, a1, a2
        rem a0, a1, a2
        remu a0, a1, a2
        mulw a0, a1, a2
        divw a0, a1, a2
        divuw a0, a1, a2
        remw a0, a1, a2
        remuw a0, a1, a2
fwd:
        fence
        fence rw, w
        fence i, o
        fence.tso
        fence.i
        ecall
        ebreak
        sret
        mret
        wfi
        sfence.vma
        sfence.vma a0
        sfence.vma a0, a1
        csrrw a0, mstatus, a1
        csrrs a0, mhartid, zero
        csrrs a0, mie, a1
        csrrc a0, mip, a1
        csrrw zero, mtvec, t0
        csrrs zero, mie, t0
        csrrc zero, mie, t0
        csrrwi a0, mscratch, 5
        csrrsi zero, mstatus, 8
        csrrci zero, mstatus, 8
        csrrwi zero, satp, 0
        csrr a0, satp
        csrr a0, sstatus
        csrr a0, sepc
        csrr a0, scause
        csrr a0, stval
        csrr a0, mepc
        csrr a0, mcause
        csrr a0, mtval
        csrr a0, medeleg
        csrr a0, mideleg
        csrr a0, misa
        csrr a0, pmpcfg0
        csrr a0, pmpaddr0
        csrr a0, mcounteren
        csrr a0, scounteren
        csrr a0, 0x5c0
        rdcycle a0
        rdtime a1
        rdinstret a2
        frcsr a0
        frrm a0
        frflags a0
        fscsr a1
        fscsr a0, a1
        fsrm a1
        fsflags a1
        lr.w a0, (a1)
        lr.d.aq a0, (a1)
        sc.w a0, a2, (a1)
        sc.d.rl a0, a2, (a1)
        amoswap.w a0, a2, (a1)
        amoadd.d.aqrl a0, a2, (a1)
        amoxor.w a0, a2, (a1)
        amoand.d a0, a2, (a1)
        amoor.w a0, a2, (a1)
        amomin.d a0, a2, (a1)
        amomax.w a0, a2, (a1)
        amominu.d a0, a2, (a1)
        amomaxu.w a0, a2, (a1)
        flw fa0, 4(sp)
        fld fs1, -8(a0)
        fsw ft0, 12(sp)
        fsd ft11, 2040(a1)
        fadd.s fa0, fa1, fa2
        fadd.d fa0, fa1, fa2
        fsub.d fa0, fa1, fa2, rtz
        fmul.s fa0, fa1, fa2
        fdiv.d fa0, fa1, fa2
        fsqrt.d fa0, fa1
        fsqrt.s fa0, fa1, rne
        fsgnj.d fa0, fa1, fa2
        fsgnjn.s fa0, fa1, fa2
        fsgnjx.d fa0, fa1, fa2
        fmv.d fa0, fa1
        fneg.s fa0, fa1
        fabs.d fa0, fa1
        fmin.s fa0, fa1, fa2
        fmax.d fa0, fa1, fa2
        fcvt.s.d fa0, fa1
        fcvt.d.s fa0, fa1
        fcvt.w.s a0, fa1, rtz
        fcvt.wu.d a0, fa1
        fcvt.l.d a0, fa1, rdn
        fcvt.lu.s a0, fa1, rup
        fcvt.s.w fa0, a1
        fcvt.d.wu fa0, a1
        fcvt.s.l fa0, a1, rmm
        fcvt.d.lu fa0, a1
        fmv.x.w a0, fa1
        fmv.x.d a0, fa1
        fmv.w.x fa0, a1
        fmv.d.x fa0, a1
        feq.s a0, fa1, fa2
        flt.d a0, fa1, fa2
        fle.s a0, fa1, fa2
        fclass.d a0, fa1
        fmadd.s fa0, fa1, fa2, fa3
        fmsub.d fa0, fa1, fa2, fa3
        fnmsub.s fa0, fa1, fa2, fa3, rtz
        fnmadd.d fa0, fa1, fa2, fa3
        .option rvc
cstart:
        c.addi4spn a0, sp, 16
        c.fld fa0, 8(a1)
        c.lw a2, 4(a3)
        c.ld a4, 248(a5)
        c.fsd fa1, 16(a2)
        c.sw s0, 124(s1)
        c.sd a0, 8(a1)
        c.nop
        c.addi a0, 1
        c.addi sp, -16
        c.addiw a1, -3
        c.addiw a1, 0
        c.li a2, -32
        c.li a2, 31
        c.addi16sp sp, -64
        c.addi16sp sp, 496
        c.lui a3, 1
        c.lui a3, 0xfffff
        c.srli a0, 3
        c.srai a1, 63
        c.andi a2, -1
        c.sub a0, a1
        c.xor s0, s1
        c.or a2, a3
        c.and a4, a5
        c.subw a0, a1
        c.addw a2, a3
        c.j cstart
        c.beqz a0, cstart
        c.bnez a1, cend
        c.slli a0, 12
        c.fldsp fa0, 8(sp)
        c.lwsp a0, 12(sp)
        c.ldsp ra, 504(sp)
        c.jr ra
        c.jr t0
        c.mv a0, a1
        c.ebreak
        c.jalr a5
        c.add a0, a1
        c.fsdsp fs0, 8(sp)
        c.swsp a0, 252(sp)
        c.sdsp ra, 0(sp)
cend:
        c.nop
