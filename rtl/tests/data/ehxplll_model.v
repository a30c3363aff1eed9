// Behavioural model of the ECP5 EHXPLLL, only as rxdsp's board top sets it
// (rtl::pll::pll_top): CLKOP fed back to CLKFB, 0 degrees (CLKOP_CPHASE =
// CLKOP_DIV - 1, CLKOP_FPHASE 0), no dynamic phase, standby or reset, the
// dividers within their ranges. It does not multiply: CLKOP follows CLKI,
// so a simulation's clock is the core's clock. LOCK is low for the first
// LOCK_CYCLES rising edges of CLKI (16; a test may change the default to
// watch the core wait for it), then high. Written from Lattice
// FPGA-TN-02200's description of the primitive (Yosys ships EHXPLLL only
// as a black box), for the board top's lint and simulation tests. Any
// other setting stops the simulation with $fatal ("MODEL: ..."; Verilator
// aborts, vvp exits 1): a test must not pass on a setting this model
// ignores.
`default_nettype none
module EHXPLLL #(
    parameter PLLRST_ENA = "DISABLED",
    parameter INTFB_WAKE = "DISABLED",
    parameter STDBY_ENABLE = "DISABLED",
    parameter DPHASE_SOURCE = "DISABLED",
    parameter OUTDIVIDER_MUXA = "DIVA",
    parameter CLKOP_ENABLE = "ENABLED",
    parameter integer CLKI_DIV = 1,
    parameter integer CLKFB_DIV = 1,
    parameter integer CLKOP_DIV = 8,
    parameter integer CLKOP_CPHASE = 7,
    parameter integer CLKOP_FPHASE = 0,
    parameter FEEDBK_PATH = "CLKOP",
    parameter integer LOCK_CYCLES = 16
) (
    input wire CLKI,
    input wire CLKFB,
    input wire RST,
    input wire STDBY,
    input wire PHASESEL0,
    input wire PHASESEL1,
    input wire PHASEDIR,
    input wire PHASESTEP,
    input wire PHASELOADREG,
    input wire PLLWAKESYNC,
    input wire ENCLKOP,
    output wire CLKOP,
    output wire LOCK
);
    localparam [15:0] LOCK_AT = LOCK_CYCLES[15:0];

    // the inputs this model does not act on (Verilator's unused-name rule)
    wire unused_inputs = &{1'b0, CLKFB, RST, STDBY, PHASESEL0, PHASESEL1,
                           PHASEDIR, PHASESTEP, PHASELOADREG, PLLWAKESYNC, ENCLKOP};

    initial begin
        if (FEEDBK_PATH != "CLKOP" || CLKOP_ENABLE != "ENABLED"
            || CLKOP_CPHASE != CLKOP_DIV - 1 || CLKOP_FPHASE != 0
            || PLLRST_ENA != "DISABLED" || INTFB_WAKE != "DISABLED"
            || STDBY_ENABLE != "DISABLED" || DPHASE_SOURCE != "DISABLED"
            || OUTDIVIDER_MUXA != "DIVA"
            || CLKI_DIV < 1 || CLKI_DIV > 128 || CLKFB_DIV < 1 || CLKFB_DIV > 80
            || CLKOP_DIV < 1 || CLKOP_DIV > 128) begin
            $fatal(1, "MODEL: EHXPLLL setting outside this model");
        end
    end

    reg [15:0] edges = 16'd0;
    always @(posedge CLKI) begin
        if (edges != LOCK_AT) edges <= edges + 16'd1;
    end
    assign LOCK = (edges == LOCK_AT);
    assign CLKOP = CLKI;
endmodule
