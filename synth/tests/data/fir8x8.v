// fir8x8: an 8-bit x 8-tap registered FIR with a valid/ready stream, a small
// hand-written test design for the rxdsp-synth flow (DSP multipliers, carry
// chains, a two-level hierarchy for per-block figures). Verilog-2001.
//
// Coefficients are written through a tiny port (coef_we/coef_addr/coef_data) so
// the multipliers are real multipliers, not constants folded into adders.
// Pipeline: input delay line -> registered products -> registered adder tree.
// The stream stalls as a whole: a stage advances when the output is free.

module fir_delay (
    input  wire        clk,
    input  wire        en,
    input  wire [7:0]  din,
    output wire [63:0] taps        // taps[8*k +: 8] = x[n-k]
);
    reg [63:0] sr;
    always @(posedge clk)
        if (en) sr <= {sr[55:0], din};
    assign taps = sr;
endmodule

module fir_mac (
    input  wire        clk,
    input  wire        en,
    input  wire [63:0] taps,
    input  wire [63:0] coefs,
    output reg  [18:0] acc
);
    wire signed [15:0] prod [0:7];
    reg  signed [18:0] sum;
    integer k;
    genvar g;
    generate
        for (g = 0; g < 8; g = g + 1) begin : g_tap
            reg signed [15:0] p;
            always @(posedge clk)
                if (en) p <= $signed(taps[8*g +: 8]) * $signed(coefs[8*g +: 8]);
            assign prod[g] = p;
        end
    endgenerate
    always @(*) begin
        sum = 19'sd0;
        for (k = 0; k < 8; k = k + 1)
            sum = sum + {{3{prod[k][15]}}, prod[k]};
    end
    always @(posedge clk)
        if (en) acc <= sum;
endmodule

module fir8x8 (
    input  wire        clk,
    input  wire        rst,
    input  wire        in_valid,
    output wire        in_ready,
    input  wire [7:0]  in_data,
    input  wire        coef_we,
    input  wire [2:0]  coef_addr,
    input  wire [7:0]  coef_data,
    output wire        out_valid,
    input  wire        out_ready,
    output wire [18:0] out_data
);
    reg [63:0] coefs;
    reg [2:0]  vpipe;              // valid of delay line, products, sum
    wire       advance = !vpipe[2] || out_ready;
    wire [63:0] taps;

    always @(posedge clk)
        if (coef_we) coefs[8*coef_addr +: 8] <= coef_data;

    always @(posedge clk)
        if (rst) vpipe <= 3'b000;
        else if (advance) vpipe <= {vpipe[1:0], in_valid};

    fir_delay u_delay (.clk(clk), .en(advance && in_valid), .din(in_data), .taps(taps));
    fir_mac   u_mac   (.clk(clk), .en(advance), .taps(taps), .coefs(coefs), .acc(out_data));

    assign in_ready  = advance;
    assign out_valid = vpipe[2];
endmodule
