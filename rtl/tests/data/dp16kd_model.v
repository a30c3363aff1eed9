// Behavioural model of the ECP5 DP16KD block RAM, only for the configurations
// the ECP5 block RAMs of rtl::rs::bram use: DATA_WIDTH 18 or 9 (the same on
// both sides), or 36 on both (the pseudo-dual-port mode: written on side A
// with the byte enables on ADA3..ADA0, the word address on AD13..AD5, data
// bits 0..17 on the A pins and 18..35 on the B pins, read on side B; each
// half's output register is its side's REGMODE and OCE), REGMODE NOREG or OUTREG, WRITEMODE NORMAL (a
// write leaves its side's read data unchanged), CSDECODE 0b000 with the chip
// selects low, RST low, INITVAL_00..3F laid out 18 bits wide (16 words in
// 20-bit slots per parameter). Written from the ECP5 memory usage guide's
// description of the primitive (Yosys ships DP16KD only as a black box), for
// the equivalence test of the two forms of the decoder's memories. Anything
// else is refused with a "MODEL:" line: the test must not pass on a
// configuration this model ignores.
`default_nettype none
module DP16KD #(
    parameter DATA_WIDTH_A = 18,
    parameter DATA_WIDTH_B = 18,
    parameter REGMODE_A = "NOREG",
    parameter REGMODE_B = "NOREG",
    parameter RESETMODE = "SYNC",
    parameter ASYNC_RESET_RELEASE = "SYNC",
    parameter GSR = "AUTO",
    parameter CSDECODE_A = "0b000",
    parameter CSDECODE_B = "0b000",
    parameter WRITEMODE_A = "NORMAL",
    parameter WRITEMODE_B = "NORMAL",
    parameter [319:0] INITVAL_00 = 320'h0, INITVAL_01 = 320'h0, INITVAL_02 = 320'h0, INITVAL_03 = 320'h0,
    parameter [319:0] INITVAL_04 = 320'h0, INITVAL_05 = 320'h0, INITVAL_06 = 320'h0, INITVAL_07 = 320'h0,
    parameter [319:0] INITVAL_08 = 320'h0, INITVAL_09 = 320'h0, INITVAL_0A = 320'h0, INITVAL_0B = 320'h0,
    parameter [319:0] INITVAL_0C = 320'h0, INITVAL_0D = 320'h0, INITVAL_0E = 320'h0, INITVAL_0F = 320'h0,
    parameter [319:0] INITVAL_10 = 320'h0, INITVAL_11 = 320'h0, INITVAL_12 = 320'h0, INITVAL_13 = 320'h0,
    parameter [319:0] INITVAL_14 = 320'h0, INITVAL_15 = 320'h0, INITVAL_16 = 320'h0, INITVAL_17 = 320'h0,
    parameter [319:0] INITVAL_18 = 320'h0, INITVAL_19 = 320'h0, INITVAL_1A = 320'h0, INITVAL_1B = 320'h0,
    parameter [319:0] INITVAL_1C = 320'h0, INITVAL_1D = 320'h0, INITVAL_1E = 320'h0, INITVAL_1F = 320'h0,
    parameter [319:0] INITVAL_20 = 320'h0, INITVAL_21 = 320'h0, INITVAL_22 = 320'h0, INITVAL_23 = 320'h0,
    parameter [319:0] INITVAL_24 = 320'h0, INITVAL_25 = 320'h0, INITVAL_26 = 320'h0, INITVAL_27 = 320'h0,
    parameter [319:0] INITVAL_28 = 320'h0, INITVAL_29 = 320'h0, INITVAL_2A = 320'h0, INITVAL_2B = 320'h0,
    parameter [319:0] INITVAL_2C = 320'h0, INITVAL_2D = 320'h0, INITVAL_2E = 320'h0, INITVAL_2F = 320'h0,
    parameter [319:0] INITVAL_30 = 320'h0, INITVAL_31 = 320'h0, INITVAL_32 = 320'h0, INITVAL_33 = 320'h0,
    parameter [319:0] INITVAL_34 = 320'h0, INITVAL_35 = 320'h0, INITVAL_36 = 320'h0, INITVAL_37 = 320'h0,
    parameter [319:0] INITVAL_38 = 320'h0, INITVAL_39 = 320'h0, INITVAL_3A = 320'h0, INITVAL_3B = 320'h0,
    parameter [319:0] INITVAL_3C = 320'h0, INITVAL_3D = 320'h0, INITVAL_3E = 320'h0, INITVAL_3F = 320'h0
) (
    input wire DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
    input wire ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
    input wire CEA, OCEA, CLKA, WEA, RSTA, CSA2, CSA1, CSA0,
    output wire DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
    input wire DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
    input wire ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
    input wire CEB, OCEB, CLKB, WEB, RSTB, CSB2, CSB1, CSB0,
    output wire DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
    // the array as 1024 words of 18 bits; at 9 bits wide, word w is half
    // w[0] (bits 9 w[0] + 8 .. 9 w[0]) of word w >> 1
    reg [17:0] mem [0:1023];
    wire [20479:0] init = {
        INITVAL_3F, INITVAL_3E, INITVAL_3D, INITVAL_3C, INITVAL_3B, INITVAL_3A, INITVAL_39, INITVAL_38,
        INITVAL_37, INITVAL_36, INITVAL_35, INITVAL_34, INITVAL_33, INITVAL_32, INITVAL_31, INITVAL_30,
        INITVAL_2F, INITVAL_2E, INITVAL_2D, INITVAL_2C, INITVAL_2B, INITVAL_2A, INITVAL_29, INITVAL_28,
        INITVAL_27, INITVAL_26, INITVAL_25, INITVAL_24, INITVAL_23, INITVAL_22, INITVAL_21, INITVAL_20,
        INITVAL_1F, INITVAL_1E, INITVAL_1D, INITVAL_1C, INITVAL_1B, INITVAL_1A, INITVAL_19, INITVAL_18,
        INITVAL_17, INITVAL_16, INITVAL_15, INITVAL_14, INITVAL_13, INITVAL_12, INITVAL_11, INITVAL_10,
        INITVAL_0F, INITVAL_0E, INITVAL_0D, INITVAL_0C, INITVAL_0B, INITVAL_0A, INITVAL_09, INITVAL_08,
        INITVAL_07, INITVAL_06, INITVAL_05, INITVAL_04, INITVAL_03, INITVAL_02, INITVAL_01, INITVAL_00};
    integer i;
    initial begin
        #0;
        for (i = 0; i < 1024; i = i + 1) mem[i] = init[20 * i +: 18];
        if (DATA_WIDTH_A != DATA_WIDTH_B || (DATA_WIDTH_A != 18 && DATA_WIDTH_A != 9 && DATA_WIDTH_A != 36))
            $display("MODEL: DP16KD data widths %0d/%0d not modelled", DATA_WIDTH_A, DATA_WIDTH_B);
        if ((REGMODE_A != "NOREG" && REGMODE_A != "OUTREG") || (REGMODE_B != "NOREG" && REGMODE_B != "OUTREG"))
            $display("MODEL: DP16KD REGMODE %s/%s not modelled", REGMODE_A, REGMODE_B);
        if (WRITEMODE_A != "NORMAL" || WRITEMODE_B != "NORMAL" || CSDECODE_A != "0b000" || CSDECODE_B != "0b000")
            $display("MODEL: DP16KD write mode or chip-select decode not modelled");
    end

    wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
    wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
    wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
    wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
    // word address: AD13..AD4 at 18 bits wide, AD13..AD3 at 9
    wire [10:0] wa = DATA_WIDTH_A == 18 ? {1'b0, ada[13:4]} : ada[13:3];
    wire [10:0] wb = DATA_WIDTH_B == 18 ? {1'b0, adb[13:4]} : adb[13:3];
    reg [17:0] lat_a, lat_b, out_a, out_b;
    localparam X36 = DATA_WIDTH_A == 36;

    always @(posedge CLKA) if (!X36) begin
        if (RSTA === 1'b1 || {CSA2, CSA1, CSA0} === 3'b111)
            $display("MODEL: DP16KD reset or chip select A not modelled");
        if (CEA === 1'b1) begin
            if (WEA === 1'b1) begin
                if (DATA_WIDTH_A == 18) begin
                    if (ada[1:0] !== 2'b11) $display("MODEL: DP16KD byte enables A %b not modelled", ada[1:0]);
                    mem[wa[9:0]] <= dia;
                end else if (wa[0])
                    mem[wa[10:1]][17:9] <= dia[8:0];
                else
                    mem[wa[10:1]][8:0] <= dia[8:0];
            end else
                lat_a <= DATA_WIDTH_A == 18 ? mem[wa[9:0]]
                       : {9'b0, wa[0] ? mem[wa[10:1]][17:9] : mem[wa[10:1]][8:0]};
        end
        if (OCEA === 1'b1)
            out_a <= lat_a;
    end

    always @(posedge CLKB) if (!X36) begin
        if (RSTB === 1'b1 || {CSB2, CSB1, CSB0} === 3'b111)
            $display("MODEL: DP16KD reset or chip select B not modelled");
        if (CEB === 1'b1) begin
            if (WEB === 1'b1) begin
                if (DATA_WIDTH_B == 18) begin
                    if (adb[1:0] !== 2'b11) $display("MODEL: DP16KD byte enables B %b not modelled", adb[1:0]);
                    mem[wb[9:0]] <= dib;
                end else if (wb[0])
                    mem[wb[10:1]][17:9] <= dib[8:0];
                else
                    mem[wb[10:1]][8:0] <= dib[8:0];
            end else
                lat_b <= DATA_WIDTH_B == 18 ? mem[wb[9:0]]
                       : {9'b0, wb[0] ? mem[wb[10:1]][17:9] : mem[wb[10:1]][8:0]};
        end
        if (OCEB === 1'b1)
            out_b <= lat_b;
    end

    // 36 bits wide: word w is mem[2w] (bits 0..17) and mem[2w + 1] (18..35)
    always @(posedge CLKA) if (X36) begin
        if (RSTA === 1'b1 || {CSA2, CSA1, CSA0} === 3'b111)
            $display("MODEL: DP16KD reset or chip select A not modelled");
        if (CEA === 1'b1 && WEA !== 1'b1)
            $display("MODEL: DP16KD 36 bits wide: only writes on side A modelled");
        if (CEA === 1'b1 && (^ada[3:0]) !== 1'bx && ada[3:0] !== 4'b0000 && ada[3:0] !== 4'b1111)
            $display("MODEL: DP16KD 36 bits wide: byte enables %b not modelled", ada[3:0]);
        if (CEA === 1'b1 && ada[3:0] === 4'b1111) begin
            mem[{ada[13:5], 1'b0}] <= dia;
            mem[{ada[13:5], 1'b1}] <= dib;
        end
    end
    always @(posedge CLKB) if (X36) begin
        if (RSTB === 1'b1 || {CSB2, CSB1, CSB0} === 3'b111)
            $display("MODEL: DP16KD reset or chip select B not modelled");
        if (WEB === 1'b1)
            $display("MODEL: DP16KD 36 bits wide: side B only reads");
        if (CEB === 1'b1) begin
            lat_a <= mem[{adb[13:5], 1'b0}];
            lat_b <= mem[{adb[13:5], 1'b1}];
        end
        if (OCEA === 1'b1)
            out_a <= lat_a;
        if (OCEB === 1'b1)
            out_b <= lat_b;
    end

    wire [17:0] doa = REGMODE_A == "OUTREG" ? out_a : lat_a;
    wire [17:0] dob = REGMODE_B == "OUTREG" ? out_b : lat_b;
    assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = doa;
    assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = dob;
endmodule
`default_nettype wire
