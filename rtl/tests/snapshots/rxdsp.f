rxdsp_eq_mul.v
rxdsp_eq_ffe.v
rxdsp_eq_dfe.v
rxdsp_eq.v
