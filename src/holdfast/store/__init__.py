"""holdfast.store"""
