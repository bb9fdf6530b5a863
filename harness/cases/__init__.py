"""Layer 4, cases: the record of one verification input (a mixture sample, k, an init), rebuilt
exactly from its fields for replay."""
