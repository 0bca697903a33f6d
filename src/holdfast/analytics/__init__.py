"""holdfast.analytics"""
