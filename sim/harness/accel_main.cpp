// vcrypto accelerator process: the Verilator model of rtl/top/vcrypto_top.sv, clocked by a
// compiled loop, with its AXI4 DMA master served straight from a POSIX shared-memory segment
// that the bridge process also maps, and its AXI4-Lite register port driven from an MMIO
// mailbox in that segment. Layout and mailbox protocol: firmware/ABI.md ("Accelerator process
// shared memory"). No Python runs per cycle.
//
//   vcrypto_accel --shm /name --doorbell /sem --irq /sem [--fst FILE --fst-from C --fst-cycles N]
//   vcrypto_accel --bench-idle N        (ticks the model N idle cycles, prints cycles/s)
//
//   vcrypto_accel ... --stats FILE      (writes counters as JSON to FILE at exit)
//
// Notifications: the bridge posts the doorbell semaphore after queueing MMIO work; the
// process posts the irq semaphore on each rising edge of the interrupt line.
//
// When to simulate: while anything can happen without the bridge. That is a request in flight
// (busy_o), a DMA burst in the memory model, an MMIO access queued or in progress, or work the
// queue engine can take on its own: an enabled queue whose submission ring is not empty, whose
// completion ring has room and whose slots are inside the window, or a SCRUB not yet done (read
// from the top's internal wires, made visible by accel_public.vlt). Only after QUIET_CLOCKS
// clocks with none of that does the process sleep on the doorbell (100 ms timeout), so a
// polling driver that rings once for a batch gets the whole batch without a wake-up, and no
// clock is simulated while nothing is pending. On every wake-up the process takes every
// doorbell post at once, looks at the mailbox at once, and checks that the bridge is still
// alive: if it is gone (or `stop` is set, or SIGTERM/SIGINT arrives) it exits, and when the
// bridge is gone it also removes the segment and semaphores, which the bridge can no longer do.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include <fcntl.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "Vvcrypto_top.h"
#include "Vvcrypto_top___024root.h"
#include "verilated.h"

#ifdef VCRYPTO_DIRECT_EVAL
// The model's evaluation without eval_step()'s per-call housekeeping (a lock of the deleter of
// dynamic objects, which this design has none of, and the end-of-eval message queue of threads
// and DPI, unused here): two evaluations a clock, 5-7 % of the process's time. build() defines
// VCRYPTO_DIRECT_EVAL only when the generated eval_step() is exactly that housekeeping around
// this call (sim/accel_process.py, direct_eval_ok); the first evaluation goes through eval().
void Vvcrypto_top___024root___eval(Vvcrypto_top___024root* vlSelf);
static inline void eval_model(Vvcrypto_top* t) { Vvcrypto_top___024root___eval(t->rootp); }
#else
static inline void eval_model(Vvcrypto_top* t) { t->eval(); }
#endif
#if VM_TRACE_FST
#include "verilated_fst_c.h"
#endif
#include "vcrypto_abi.h"

namespace {

volatile std::sig_atomic_t g_signalled = 0;
void on_signal(int) { g_signalled = 1; }

uint64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ------------------------------------------------------------------ shared segment
struct Shm {
    uint8_t* base = nullptr;
    uint64_t size = 0;
    template <typename T> T* at(uint32_t off) { return reinterpret_cast<T*>(base + off); }
    std::atomic<uint32_t>& u32(uint32_t off) { return *reinterpret_cast<std::atomic<uint32_t>*>(base + off); }
    std::atomic<uint64_t>& u64(uint32_t off) { return *reinterpret_cast<std::atomic<uint64_t>*>(base + off); }
};

// ------------------------------------------------------------------ AXI4 memory model
// Serves the DMA master from the segment: device address VCRYPTO_SHM_DMA_BASE + offset maps
// to segment byte `offset`; the header (mailbox) and anything beyond the segment answer
// DECERR and are never touched. Up to 4 bursts queued per direction, one beat per clock.
struct Burst { uint64_t addr; uint32_t beats; bool err; };

// A fixed FIFO for the memory model's queues: bursts (at most VCRYPTO_SHM_DMA_OUTSTANDING a
// direction) and write responses not yet taken (AW waits while that queue could not take more).
template <typename T, uint32_t N> class Fifo {
    static_assert((N & (N - 1)) == 0, "a power of two, so the free-running indices wrap cleanly");
  public:
    bool empty() const { return head_ == tail_; }
    uint32_t size() const { return tail_ - head_; }
    T& front() { return buf_[head_ % N]; }
    const T& front() const { return buf_[head_ % N]; }
    void push_back(const T& v) {
        if (size() == N) { std::fprintf(stderr, "vcrypto_accel: memory model queue overflow\n"); std::abort(); }
        buf_[tail_++ % N] = v;
    }
    void pop_front() { head_++; }
  private:
    T buf_[N] = {};
    uint32_t head_ = 0, tail_ = 0;
};

class Memory {
  public:
    explicit Memory(Shm& shm) : shm_(shm) {}

    bool in_range(uint64_t addr, uint64_t bytes) const {
        if (addr < VCRYPTO_SHM_DMA_BASE) return false;
        uint64_t off = addr - VCRYPTO_SHM_DMA_BASE;
        return off >= VCRYPTO_SHM_HEADER_BYTES && off <= shm_.size && bytes <= shm_.size - off;
    }

    // Outputs for this clock, from the model's state.
    void drive(Vvcrypto_top* t) {
        // Nothing queued: the idle bus (ready for addresses, no data, no response) is on the
        // inputs already after the first such clock. The model's inputs keep their values, and
        // skipping the writes saves the harness a little in most clocks between bursts.
        if (idle() && idle_driven_) return;
        idle_driven_ = idle();
        t->m_axi_arready = rq_.size() < VCRYPTO_SHM_DMA_OUTSTANDING;
        t->m_axi_awready = wq_.size() < VCRYPTO_SHM_DMA_OUTSTANDING && wq_.size() + bq_.size() < 256;
        t->m_axi_wready = !wq_.empty();
        t->m_axi_rvalid = !rq_.empty();
        t->m_axi_rid = 0;
        if (!rq_.empty()) {
            const Burst& b = rq_.front();
            t->m_axi_rlast = b.beats == 1;
            t->m_axi_rresp = b.err ? VCRYPTO_SHM_DMA_DECERR : 0;
            for (int w = 0; w < 4; w++) {
                uint32_t v = 0;
                if (!b.err) std::memcpy(&v, shm_.base + (b.addr - VCRYPTO_SHM_DMA_BASE) + 4 * w, 4);
                t->m_axi_rdata[w] = v;
            }
        }
        t->m_axi_bvalid = !bq_.empty();
        t->m_axi_bresp = bq_.empty() ? 0 : bq_.front();
        t->m_axi_bid = 0;
    }

    // Handshakes seen just before the rising edge.
    void sample(const Vvcrypto_top* t) {
        ar_ = t->m_axi_arvalid && t->m_axi_arready;
        r_ = t->m_axi_rvalid && t->m_axi_rready;
        aw_ = t->m_axi_awvalid && t->m_axi_awready;
        w_ = t->m_axi_wvalid && t->m_axi_wready;
        b_ = t->m_axi_bvalid && t->m_axi_bready;
        if (ar_) ar_b_ = {t->m_axi_araddr, uint32_t(t->m_axi_arlen) + 1u, false};
        if (aw_) aw_b_ = {t->m_axi_awaddr, uint32_t(t->m_axi_awlen) + 1u, false};
        if (w_) {
            for (int i = 0; i < 4; i++) wdata_[i] = t->m_axi_wdata[i];
            wstrb_ = t->m_axi_wstrb;
        }
    }

    // State update at the rising edge.
    void commit() {
        if (r_) {
            Burst& b = rq_.front();
            b.addr += 16;
            if (--b.beats == 0) rq_.pop_front();
        }
        if (ar_) { ar_b_.err = !in_range(ar_b_.addr, 16ull * ar_b_.beats); rq_.push_back(ar_b_); }
        if (b_) bq_.pop_front();
        if (w_) {
            Burst& b = wq_.front();
            if (!b.err) write_beat(shm_.base + (b.addr - VCRYPTO_SHM_DMA_BASE));
            b.addr += 16;
            if (--b.beats == 0) { bq_.push_back(b.err ? VCRYPTO_SHM_DMA_DECERR : 0); wq_.pop_front(); }
        }
        if (aw_) { aw_b_.err = !in_range(aw_b_.addr, 16ull * aw_b_.beats); wq_.push_back(aw_b_); }
    }

    bool idle() const { return rq_.empty() && wq_.empty() && bq_.empty(); }

  private:
    // Bytes in ascending order, the last one after a release fence: a reader that sees a
    // completion entry's phase byte (byte 15) also sees the rest of the entry.
    void write_beat(uint8_t* dst) {
        int last = -1;
        for (int i = 15; i >= 0; i--) if (wstrb_ >> i & 1) { last = i; break; }
        for (int i = 0; i < 16; i++) {
            if (!(wstrb_ >> i & 1)) continue;
            uint8_t v = uint8_t(wdata_[i / 4] >> (8 * (i % 4)));
            if (i == last) {
                std::atomic_thread_fence(std::memory_order_release);
                reinterpret_cast<std::atomic<uint8_t>*>(dst + i)->store(v, std::memory_order_relaxed);
            } else {
                dst[i] = v;
            }
        }
    }

    Shm& shm_;
    static_assert(VCRYPTO_SHM_DMA_OUTSTANDING <= 8, "bursts queued per direction");
    Fifo<Burst, 8> rq_, wq_;
    Fifo<uint8_t, 256> bq_;             // write responses the master has not taken yet
    bool idle_driven_ = false;          // the inputs hold the idle bus (drive())
    bool ar_ = false, r_ = false, aw_ = false, w_ = false, b_ = false;
    Burst ar_b_{}, aw_b_{};
    uint32_t wdata_[4] = {};
    uint32_t wstrb_ = 0;
};

// ------------------------------------------------------------------ MMIO mailbox -> AXI4-Lite
class Mmio {
  public:
    explicit Mmio(Shm& shm) : shm_(shm) {}

    bool pending() { return busy_ || shm_.u32(VCRYPTO_SHM_MMIO_HEAD_OFF).load(std::memory_order_acquire) != tail_; }

    // Look at the mailbox in the next clock (after a wake-up: the doorbell means it has work).
    void poll_now() { poll_ = 15; }

    // Whether the access finished in the last clock was a write of some queue's SQ_TAIL
    // (a doorbell), for the doorbell-to-interrupt clock counts.
    bool rang() const { return rang_; }

    // Whether the access finished in the last clock was a write of INT_STATUS: the host's end
    // of interrupt.
    bool eoi() const { return eoi_; }

    void drive(Vvcrypto_top* t) {
        // look for new mailbox entries every 16 clocks (and right after an access): a shared
        // cache line read per clock would cost more than the latency it saves
        if (!busy_ && (++poll_ & 15) == 0) start();
        if (!busy_ && idle_driven_) return;     // the idle bus is on the inputs already
        idle_driven_ = !busy_;
        t->s_axil_awvalid = busy_ && is_write_ && !addr_done_;
        t->s_axil_wvalid = busy_ && is_write_ && !addr_done_;
        t->s_axil_awaddr = addr_;
        t->s_axil_wdata = data_;
        t->s_axil_wstrb = 0xF;
        t->s_axil_bready = busy_ && is_write_ && addr_done_;
        t->s_axil_arvalid = busy_ && !is_write_ && !addr_done_;
        t->s_axil_araddr = addr_;
        t->s_axil_rready = busy_ && !is_write_ && addr_done_;
    }

    void sample(const Vvcrypto_top* t) {
        if (!busy_) return;                     // no access: no handshake (finish() cleared them)
        aw_ = t->s_axil_awvalid && t->s_axil_awready;
        b_ = t->s_axil_bvalid && t->s_axil_bready;
        ar_ = t->s_axil_arvalid && t->s_axil_arready;
        r_ = t->s_axil_rvalid && t->s_axil_rready;
        rdata_ = t->s_axil_rdata;
    }

    void commit() {
        rang_ = false;
        eoi_ = false;
        if (!busy_) return;
        eoi_ = b_ && addr_ == VCRYPTO_CSR_INT_STATUS;
        if (aw_ || ar_) addr_done_ = true;
        if (b_) rang_ = addr_ >= VCRYPTO_CSR_QUEUE_BASE &&
                        (addr_ - VCRYPTO_CSR_QUEUE_BASE) % VCRYPTO_CSR_QUEUE_STRIDE == VCRYPTO_QCSR_SQ_TAIL &&
                        (addr_ - VCRYPTO_CSR_QUEUE_BASE) / VCRYPTO_CSR_QUEUE_STRIDE < VCRYPTO_DEV_NUM_QUEUES;
        if (b_ || r_) finish(r_ ? rdata_ : data_);
    }

  private:
    uint32_t slot_off(uint32_t idx) const {
        return VCRYPTO_SHM_MMIO_RING_OFFSET + (idx % VCRYPTO_SHM_MMIO_SLOTS) * VCRYPTO_MMIO_BYTES;
    }
    void start() {
        uint32_t head = shm_.u32(VCRYPTO_SHM_MMIO_HEAD_OFF).load(std::memory_order_acquire);
        if (head == tail_) return;
        uint32_t s = slot_off(tail_);
        // the client writes seq last; a slot whose seq is not yet tail+1 is still being filled
        if (shm_.u32(s + VCRYPTO_MMIO_SEQ_OFF).load(std::memory_order_acquire) != tail_ + 1) return;
        uint32_t op = shm_.u32(s + VCRYPTO_MMIO_OP_OFF).load(std::memory_order_relaxed);
        addr_ = shm_.u32(s + VCRYPTO_MMIO_ADDR_OFF).load(std::memory_order_relaxed) & 0xFFC;
        data_ = shm_.u32(s + VCRYPTO_MMIO_DATA_OFF).load(std::memory_order_relaxed);
        is_write_ = op == VCRYPTO_MMIO_OP_WRITE;
        if (op != VCRYPTO_MMIO_OP_WRITE && op != VCRYPTO_MMIO_OP_READ) { finish(0xFFFFFFFFu); return; }
        busy_ = true;
        addr_done_ = false;
    }
    void finish(uint32_t result) {
        uint32_t s = slot_off(tail_);
        shm_.u32(s + VCRYPTO_MMIO_DATA_OFF).store(result, std::memory_order_relaxed);
        tail_++;
        shm_.u32(VCRYPTO_SHM_MMIO_TAIL_OFF).store(tail_, std::memory_order_release);
        busy_ = false;
        aw_ = b_ = ar_ = r_ = false;
        poll_now();                     // the client often queues several accesses at once
    }

    Shm& shm_;
    uint32_t tail_ = 0, poll_ = 0;
    bool busy_ = false, is_write_ = false, addr_done_ = false, rang_ = false, eoi_ = false;
    bool idle_driven_ = false;          // the inputs hold the idle bus (set on the first idle drive)
    uint32_t addr_ = 0, data_ = 0, rdata_ = 0;
    bool aw_ = false, b_ = false, ar_ = false, r_ = false;
};

// ------------------------------------------------------------------ what the engine can do alone
// Internal wires of vcrypto_top (the register block's outputs to the queue engine), readable
// because sim/harness/accel_public.vlt marks them public. The engine takes a new request by
// itself when a queue is enabled, its submission ring is not empty, its completion ring has
// room and its slots are inside the window (ring_fault clear), or runs a SCRUB that was asked
// for -- the same conditions as its arbiter, computed from the current indices (the arbiter's
// registered copies lag by up to 4 clocks, which QUIET_CLOCKS covers).
bool engine_has_work(const Vvcrypto_top___024root* r) {
    if (r->vcrypto_top__DOT__scrub_req && !r->vcrypto_top__DOT__scrub_done) return true;
    if (!r->vcrypto_top__DOT__enable) return false;
    for (uint32_t q = 0; q < VCRYPTO_DEV_NUM_QUEUES; q++) {
        uint32_t sl = uint32_t(r->vcrypto_top__DOT__sq_log2 >> (4 * q)) & 15;
        uint32_t cl = uint32_t(r->vcrypto_top__DOT__cq_log2 >> (4 * q)) & 15;
        uint32_t sh = uint32_t(r->vcrypto_top__DOT__sq_head >> (16 * q)) & 0xFFFF;
        uint32_t st = uint32_t(r->vcrypto_top__DOT__sq_tail >> (16 * q)) & 0xFFFF;
        uint32_t ch = uint32_t(r->vcrypto_top__DOT__cq_head >> (16 * q)) & 0xFFFF;
        uint32_t ct = uint32_t(r->vcrypto_top__DOT__cq_tail >> (16 * q)) & 0xFFFF;
        bool room = ((ct + 1) & ((1u << cl) - 1)) != ch;
        bool fault = (r->vcrypto_top__DOT__ring_fault >> q) & 1;
        if (sl && cl && sh != st && room && !fault) return true;
    }
    return false;
}

// Clocks with nothing going on before the process sleeps: longer than the engine's longest
// reaction to a register write (SQ_TAIL -> arbiter stages -> dispatch, SCRUB -> S_SCRUB).
constexpr uint32_t QUIET_CLOCKS = 16;

struct Args {
    std::string shm, doorbell, irq, fst, stats;
    uint64_t fst_from = 0, fst_cycles = 100000, bench_idle = 0;
};

bool parse(int argc, char** argv, Args& a) {
    for (int i = 1; i < argc; i++) {
        std::string k = argv[i];
        if (i + 1 >= argc) return false;
        std::string v = argv[++i];
        if (k == "--shm") a.shm = v;
        else if (k == "--doorbell") a.doorbell = v;
        else if (k == "--irq") a.irq = v;
        else if (k == "--fst") a.fst = v;
        else if (k == "--fst-from") a.fst_from = std::strtoull(v.c_str(), nullptr, 0);
        else if (k == "--fst-cycles") a.fst_cycles = std::strtoull(v.c_str(), nullptr, 0);
        else if (k == "--bench-idle") a.bench_idle = std::strtoull(v.c_str(), nullptr, 0);
        else if (k == "--stats") a.stats = v;
        else return false;
    }
    return a.bench_idle || (!a.shm.empty() && !a.doorbell.empty() && !a.irq.empty());
}

class Sim {
  public:
    Sim(VerilatedContext* ctx, const Args& args) : top_(new Vvcrypto_top{ctx}), args_(args) {
#if VM_TRACE_FST
        if (!args.fst.empty()) {
            ctx->traceEverOn(true);
            fst_.reset(new VerilatedFstC);
            top_->trace(fst_.get(), 99);
        }
#endif
        top_->clk_i = 0;
        top_->rst_ni = 0;
        top_->eval();       // the first evaluation initialises the model (eval_model may skip that)
        for (int i = 0; i < 4; i++) tick();
        top_->rst_ni = 1;
    }
    ~Sim() {
#if VM_TRACE_FST
        if (fst_open_) fst_->close();
#endif
        top_->final();
    }

    // One clock: drive model outputs, settle, sample handshakes, rising edge, commit.
    void tick(Memory& mem, Mmio& mmio) {
        Vvcrypto_top* t = top_.get();
        mem.drive(t);
        mmio.drive(t);
        t->clk_i = 0;
        eval_model(t);
        mem.sample(t);
        mmio.sample(t);
        trace(2 * cycles_);
        t->clk_i = 1;
        eval_model(t);
        trace(2 * cycles_ + 1);
        mem.commit();
        mmio.commit();
        cycles_++;
    }

    // One clock with the bus inputs left as they are (reset, the idle benchmark).
    void tick() {
        top_->clk_i = 0;
        eval_model(top_.get());
        trace(2 * cycles_);
        top_->clk_i = 1;
        eval_model(top_.get());
        trace(2 * cycles_ + 1);
        cycles_++;
    }

    Vvcrypto_top* top() { return top_.get(); }
    uint64_t cycles() const { return cycles_; }

  private:
    void trace(uint64_t t) {
#if VM_TRACE_FST
        if (!fst_) return;
        bool in_window = cycles_ >= args_.fst_from && cycles_ < args_.fst_from + args_.fst_cycles;
        if (in_window && !fst_open_ && !fst_done_) { fst_->open(args_.fst.c_str()); fst_open_ = true; }
        if (fst_open_) fst_->dump(t);
        if (!in_window && fst_open_) { fst_->close(); fst_open_ = false; fst_done_ = true; }
#else
        (void)t;
#endif
    }

    std::unique_ptr<Vvcrypto_top> top_;
    const Args& args_;
    uint64_t cycles_ = 0;
#if VM_TRACE_FST
    std::unique_ptr<VerilatedFstC> fst_;
    bool fst_open_ = false, fst_done_ = false;
#endif
};

int bench_idle(VerilatedContext* ctx, const Args& args) {
    Sim sim(ctx, args);
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < args.bench_idle; i++) sim.tick();
    double s = (now_ns() - t0) / 1e9;
    std::printf("{\"raw_model_cycles\": %llu, \"seconds\": %.6f, \"raw_model_cycles_per_s\": %.0f}\n",
                (unsigned long long)args.bench_idle, s, args.bench_idle / s);
    return 0;
}

bool peer_alive(Shm& shm) {
    uint32_t pid = shm.u32(VCRYPTO_SHM_CLIENT_PID_OFF).load(std::memory_order_relaxed);
    return pid != 0 && (kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

// Counters the process keeps for --stats (written as JSON at exit).
struct Stats {
    uint64_t cycles = 0, busy_cycles = 0, busy_ns = 0, irqs = 0;
    uint64_t sleeps = 0, wakeups = 0, timeouts = 0;
    uint64_t redelivered = 0;     // interrupts delivered again at an end of interrupt (see the loop)
    // clocks from a doorbell (the write response of an SQ_TAIL write, interrupt line low, no
    // request in flight) to the next rising edge of the interrupt line: a request's latency
    // as the cocotb top test counts it, when the driver rings for one request at a time
    std::map<uint64_t, uint64_t> doorbell_to_irq;

    void write(const std::string& path) const {
        FILE* f = std::fopen(path.c_str(), "w");
        if (!f) { std::perror("vcrypto_accel: --stats"); return; }
        std::fprintf(f, "{\"cycles\": %llu, \"busy_cycles\": %llu, \"busy_ns\": %llu, \"irqs\": %llu, "
                        "\"sleeps\": %llu, \"wakeups\": %llu, \"timeouts\": %llu, \"redelivered\": %llu, "
                        "\"doorbell_to_irq\": {",
                     (unsigned long long)cycles, (unsigned long long)busy_cycles, (unsigned long long)busy_ns,
                     (unsigned long long)irqs, (unsigned long long)sleeps, (unsigned long long)wakeups,
                     (unsigned long long)timeouts, (unsigned long long)redelivered);
        const char* sep = "";
        for (const auto& kv : doorbell_to_irq) {
            std::fprintf(f, "%s\"%llu\": %llu", sep, (unsigned long long)kv.first, (unsigned long long)kv.second);
            sep = ", ";
        }
        std::fprintf(f, "}}\n");
        std::fclose(f);
    }
};

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parse(argc, argv, args)) {
        std::fprintf(stderr, "usage: %s --shm NAME --doorbell SEM --irq SEM [--stats FILE] [--fst FILE --fst-from C --fst-cycles N]\n"
                             "       %s --bench-idle CYCLES\n", argv[0], argv[0]);
        return 2;
    }
#if !VM_TRACE_FST
    if (!args.fst.empty()) {
        std::fprintf(stderr, "vcrypto_accel: this build has no waveform support (sim/accel_process.py builds one for fst=)\n");
        return 2;
    }
#endif
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    if (args.bench_idle) return bench_idle(ctx.get(), args);

    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    int fd = shm_open(args.shm.c_str(), O_RDWR, 0);
    if (fd < 0) { std::perror("vcrypto_accel: shm_open"); return 1; }
    struct stat st{};
    if (fstat(fd, &st) != 0 || uint64_t(st.st_size) < VCRYPTO_SHM_HEADER_BYTES) {
        std::fprintf(stderr, "vcrypto_accel: segment %s too small\n", args.shm.c_str());
        return 1;
    }
    Shm shm;
    shm.size = uint64_t(st.st_size);
    shm.base = static_cast<uint8_t*>(mmap(nullptr, shm.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    close(fd);
    if (shm.base == MAP_FAILED) { std::perror("vcrypto_accel: mmap"); return 1; }
    if (shm.u64(VCRYPTO_SHM_MAGIC_OFF).load() != VCRYPTO_SHM_MAGIC_VALUE ||
        shm.u32(VCRYPTO_SHM_VERSION_OFF).load() != VCRYPTO_SHM_VERSION_VALUE) {
        std::fprintf(stderr, "vcrypto_accel: %s is not a vcrypto segment of this version\n", args.shm.c_str());
        return 1;
    }
    sem_t* doorbell = sem_open(args.doorbell.c_str(), 0);
    sem_t* irq = sem_open(args.irq.c_str(), 0);
    if (doorbell == SEM_FAILED || irq == SEM_FAILED) {
        std::perror("vcrypto_accel: sem_open");
        shm.u32(VCRYPTO_SHM_STATE_OFF).store(VCRYPTO_PROCESS_STATE_FAILED, std::memory_order_release);
        return 1;
    }

    Sim sim(ctx.get(), args);
    Memory mem(shm);
    Mmio mmio(shm);
    Vvcrypto_top* top = sim.top();
    const Vvcrypto_top___024root* root = top->rootp;
    shm.u32(VCRYPTO_SHM_ACCEL_PID_OFF).store(uint32_t(getpid()));
    shm.u32(VCRYPTO_SHM_STATE_OFF).store(VCRYPTO_PROCESS_STATE_RUNNING, std::memory_order_release);

    Stats stats;
    // the counters the bridge reads (stats()); batch_*: clocks and time of the batch running now
    auto publish = [&](uint64_t batch_cycles = 0, uint64_t batch_ns = 0) {
        shm.u64(VCRYPTO_SHM_CYCLES_OFF).store(sim.cycles(), std::memory_order_relaxed);
        shm.u64(VCRYPTO_SHM_BUSY_CYCLES_OFF).store(stats.busy_cycles + batch_cycles, std::memory_order_relaxed);
        shm.u64(VCRYPTO_SHM_BUSY_NS_OFF).store(stats.busy_ns + batch_ns, std::memory_order_relaxed);
    };
    bool irq_prev = false, peer_gone = false, timing = false;
    uint64_t last_check = 0, rang_at = 0;
    uint32_t quiet = QUIET_CLOCKS;          // nothing to do until the bridge rings
    while (!g_signalled && shm.u32(VCRYPTO_SHM_STOP_OFF).load(std::memory_order_acquire) == 0) {
        if (quiet >= QUIET_CLOCKS) {
            // Nothing can happen without the bridge: publish, then sleep until it rings (or
            // 100 ms pass). Every post made so far is taken at once: the mailbox is read after.
            publish();
            struct timespec ts{};
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
            stats.sleeps++;
            if (sem_timedwait(doorbell, &ts) == 0) {
                stats.wakeups++;
                while (sem_trywait(doorbell) == 0) {}
            } else {
                stats.timeouts++;
                if (!peer_alive(shm)) { peer_gone = true; break; }
            }
            if (mmio.pending() || engine_has_work(root)) {
                quiet = 0;
                mmio.poll_now();
            }
            continue;
        }
        // Something is going on: tick in batches, no system calls.
        uint64_t t0 = now_ns();
        uint64_t n = 0;
        while (n < 256) {
            sim.tick(mem, mmio);
            n++;
            // The interrupt is a level: delivered (the irq semaphore posted) on its rising edge,
            // and again when the host's end of interrupt (a write of INT_STATUS) leaves it high:
            // a completion posted in the clock of that write keeps its bit set, so the line
            // never falls, and without this the host would wait for an edge that never comes.
            bool irq_now = top->irq_o;
            bool rising = irq_now && !irq_prev;
            if (rising || (irq_now && mmio.eoi())) {
                stats.irqs++;
                if (!rising) stats.redelivered++;
                // counters first: a host that reads them after this completion sees its clocks
                publish(n, now_ns() - t0);
                shm.u64(VCRYPTO_SHM_IRQ_COUNT_OFF).store(stats.irqs, std::memory_order_release);
                sem_post(irq);
                if (rising && timing) {
                    stats.doorbell_to_irq[sim.cycles() - rang_at]++;
                    timing = false;
                }
            }
            irq_prev = irq_now;
            if (VL_UNLIKELY(mmio.rang()) && !timing && !irq_now && !top->busy_o) {
                timing = true;
                rang_at = sim.cycles();
            }
            if (top->busy_o) {
                quiet = 0;
            } else if (!mem.idle() || mmio.pending() || engine_has_work(root)) {
                quiet = 0;
            } else if (++quiet >= QUIET_CLOCKS) {
                break;
            }
        }
        stats.busy_cycles += n;
        stats.busy_ns += now_ns() - t0;
        if (sim.cycles() - last_check > (1u << 22)) {      // every ~4M cycles: publish, check peer
            last_check = sim.cycles();
            publish();
            if (!peer_alive(shm)) { peer_gone = true; break; }
        }
    }
    publish();
    stats.cycles = sim.cycles();
    if (!args.stats.empty()) stats.write(args.stats);
    shm.u32(VCRYPTO_SHM_STATE_OFF).store(VCRYPTO_PROCESS_STATE_STOPPED, std::memory_order_release);
    sem_post(irq);                       // wake a waiting client so it sees the state
    sem_close(doorbell);
    sem_close(irq);
    munmap(shm.base, shm.size);
    if (peer_gone) {                     // nobody else is left to remove these
        shm_unlink(args.shm.c_str());
        sem_unlink(args.doorbell.c_str());
        sem_unlink(args.irq.c_str());
        std::fprintf(stderr, "vcrypto_accel: bridge process gone; removed %s and its semaphores\n", args.shm.c_str());
    }
    return 0;
}
