// Behavioural model of the ECP5 MULT18X18D, only for the configuration that
// rxdsp_eq_mul (ECP5 variant) uses: A and B input registers and the output
// register on CLK0/CE0, no pipeline register, RST0 unconnected or low, signed operands,
// SOURCEA/SOURCEB = 0 (parallel inputs). Written from the ECP5 sysDSP user
// guide's description of the 18x18 multiplier mode, for the equivalence test
// of the two multiplier variants. Everything else the primitive can do is
// refused: the test must not pass on a configuration this model ignores.
`default_nettype none
module MULT18X18D #(
    parameter REG_INPUTA_CLK = "NONE",
    parameter REG_INPUTA_CE = "CE0",
    parameter REG_INPUTA_RST = "RST0",
    parameter REG_INPUTB_CLK = "NONE",
    parameter REG_INPUTB_CE = "CE0",
    parameter REG_INPUTB_RST = "RST0",
    parameter REG_INPUTC_CLK = "NONE",
    parameter REG_PIPELINE_CLK = "NONE",
    parameter REG_OUTPUT_CLK = "NONE",
    parameter REG_OUTPUT_CE = "CE0",
    parameter REG_OUTPUT_RST = "RST0",
    parameter GSR = "ENABLED",
    parameter RESETMODE = "SYNC",
    parameter MULT_BYPASS = "DISABLED",
    parameter SOURCEB_MODE = "B_SHIFT",
    parameter CAS_MATCH_REG = "FALSE"
) (
    input wire A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16, A17,
    input wire B0, B1, B2, B3, B4, B5, B6, B7, B8, B9, B10, B11, B12, B13, B14, B15, B16, B17,
    input wire C0, C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17,
    input wire SIGNEDA, SIGNEDB, SOURCEA, SOURCEB,
    input wire CLK0, CLK1, CLK2, CLK3, CE0, CE1, CE2, CE3, RST0, RST1, RST2, RST3,
    input wire SRIA0, SRIA1, SRIA2, SRIA3, SRIA4, SRIA5, SRIA6, SRIA7, SRIA8,
    input wire SRIA9, SRIA10, SRIA11, SRIA12, SRIA13, SRIA14, SRIA15, SRIA16, SRIA17,
    input wire SRIB0, SRIB1, SRIB2, SRIB3, SRIB4, SRIB5, SRIB6, SRIB7, SRIB8,
    input wire SRIB9, SRIB10, SRIB11, SRIB12, SRIB13, SRIB14, SRIB15, SRIB16, SRIB17,
    output wire P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14, P15, P16, P17,
    output wire P18, P19, P20, P21, P22, P23, P24, P25, P26, P27, P28, P29, P30, P31, P32, P33, P34, P35
);
    wire [17:0] a = {A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0};
    wire [17:0] b = {B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0};
    reg [17:0] a_r;
    reg [17:0] b_r;
    reg [35:0] p_r;
    initial begin
        if (REG_INPUTA_CLK != "CLK0" || REG_INPUTA_CE != "CE0" || REG_INPUTB_CLK != "CLK0"
            || REG_INPUTB_CE != "CE0" || REG_OUTPUT_CLK != "CLK0" || REG_OUTPUT_CE != "CE0"
            || REG_PIPELINE_CLK != "NONE" || MULT_BYPASS != "DISABLED") begin
            $display("MODEL: unsupported MULT18X18D configuration");
            $finish;
        end
    end
    always @(posedge CLK0) begin
        if (SOURCEA !== 1'b0 || SOURCEB !== 1'b0 || SIGNEDA !== 1'b1 || SIGNEDB !== 1'b1
            || RST0 === 1'b1) begin
            $display("MODEL: unsupported MULT18X18D inputs");
            $finish;
        end
        if (CE0) begin
            a_r <= a;
            b_r <= b;
            p_r <= $signed(a_r) * $signed(b_r);
        end
    end
    assign {P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18,
            P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = p_r;
endmodule
`default_nettype wire
